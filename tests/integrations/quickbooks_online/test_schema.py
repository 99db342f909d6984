"""Every body our QuickBooks Online client sends is an entity of Intuit's own schema (the official SDK's Finance.xsd,
tests/quickbooks_online_schema.py): bills, purchases and invoices (created, updated, in batches), vendors and
customers (made, made active again), the upload's metadata."""

from dataclasses import replace
from decimal import Decimal

import pytest

from integrations import http
from integrations.inprocess import transport as in_process
from integrations.providers.document import Attachment
from tests.integrations.quickbooks_online.conftest import client_of, coding, document
from tests.quickbooks_online_schema import QuickBooksSchemaCheck, schema_errors

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def checked(us, uk):
    check = QuickBooksSchemaCheck(in_process())
    http.set_transport(check)
    yield check
    http.set_transport(None)


def test_the_schema_refuses_what_intuit_would_not_parse():
    bill = {"VendorRef": {"value": "1"}, "Line": [{"DetailType": "AccountBasedExpenseLineDetail", "Amount": 1}]}
    assert schema_errors("Bill", bill) == []
    assert schema_errors("Bill", {**bill, "Reference": "x"}), "no such element on a bill"
    assert schema_errors("Purchase", {"PaymentType": "Card"}), "PaymentType off its enumeration"
    assert schema_errors("Bill", {**bill, "GlobalTaxCalculation": "Excluded"})
    assert schema_errors("Bill", {**bill, "TxnDate": "5 Jan 2030"}), "a date"
    assert schema_errors("Bill", {**bill, "VendorRef": {"value": "1", "id": "1"}}), "a reference's attributes"


def test_every_body_the_client_sends_is_valid_in_intuits_schema(us, uk, checked):
    attachment = Attachment(filename="receipt.pdf", content_type="application/pdf", content=PDF)
    us_client, uk_client = client_of(us), client_of(uk)
    bill = document(category_ref=coding(us, "accounts", "Office Expenses"), attachment=attachment)
    ref = us_client.publish(bill)
    us_client.attach(bill, ref)
    us_client.publish(replace(bill, external_id=ref.external_id, total=Decimal("99.00"), job_key="edit"))
    us_client.publish(
        document(
            publish_as="purchase",
            contact_name="Old Print Shop",  # inactive: made active again
            category_ref=coding(us, "accounts", "Travel"),
            payment_account_ref=coding(us, "payment_accounts", "Mastercard"),
        )
    )
    us_client.publish(
        document(
            kind="sales",
            contact_name="Alder Creek Dental (new)",
            category_ref=coding(us, "accounts", "Services"),
            tax_rate_ref=coding(us, "tax_rates", "California"),
        )
    )
    us_client.publish(document(contact_name="Emma Lindqvist", category_ref=coding(us, "accounts", "Supplies")))
    us_client.publish(
        document(currency="EUR", contact_name="Rhine Tools AG", category_ref=coding(us, "accounts", "Supplies"))
    )
    uk_coding = {
        "category_ref": coding(uk, "accounts", "General Expenses"),
        "tax_rate_ref": coding(uk, "tax_rates", "20.0% S"),
    }
    uk_client.publish_many([document(currency="GBP", **uk_coding) for _ in range(3)])
    kinds = {element for element, _ in checked.checked}
    assert kinds == {"Bill", "Purchase", "Invoice", "Vendor", "Customer", "IntuitBatchRequest", "Attachable"}, kinds
    assert checked.errors == []
