"""QuickBooks Online's client publishing against the stricter sandbox: the ledger's own ids from the lists, VAT in
the UK, currencies, request ids, names that clash, limits and lost authorisation, attachments."""

import json
from dataclasses import replace
from decimal import Decimal

import pytest

from integrations.providers.base import AuthError, ExternalRef, ProviderRateLimited, ValidationError
from integrations.providers.document import Attachment
from integrations.providers.quickbooks_online.client import LostAuthorisation
from integrations.sandbox import selectors as sandbox
from integrations.sandbox.models import Contact, Document, IdempotentAnswer
from integrations.sandbox.quickbooks_online import constants as sandbox_qbo
from tests.integrations.quickbooks_online.conftest import client_of, coding, document

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def received(ref: ExternalRef) -> dict:
    return Document.objects.get(provider="quickbooks_online", external_id=ref.external_id).received


def stored(ref: ExternalRef) -> Document:
    return Document.objects.get(provider="quickbooks_online", external_id=ref.external_id)


def test_a_bill_carries_the_account_id_from_the_lists_and_no_tax_code_in_the_us(us):
    doc = document(category_ref=coding(us, "accounts", "Office Expenses"))
    ref = client_of(us).publish(doc)
    line = received(ref)["Line"][0]
    assert line["AccountBasedExpenseLineDetail"] == {"AccountRef": {"value": "20"}}
    assert line["Amount"] == 120.0 and "GlobalTaxCalculation" not in received(ref)
    assert ref.url.endswith(f"/app/bill?txnId={ref.external_id}")


def test_a_document_without_a_category_is_refused_naming_the_list(us):
    with pytest.raises(ValidationError, match="Choose a category from QuickBooks Online's list"):
        client_of(us).publish(document(category=""))
    assert not Document.objects.exists() and not Contact.objects.filter(name="Office Supplies Co").exists()


def test_an_unknown_account_id_is_quickbooks_invalid_reference(us):
    doc = document(category_ref=coding(us, "accounts", "Office Expenses"))
    doc = replace(doc, category_ref=replace(doc.category_ref, external_id="9999"))
    with pytest.raises(ValidationError, match="Invalid Reference Id"):
        client_of(us).publish(doc)


def test_an_inactive_account_is_object_not_found(us):
    doc = document(category_ref=coding(us, "accounts", "Old Office Supplies"))
    with pytest.raises(ValidationError, match="Object Not Found"):
        client_of(us).publish(doc)


def test_a_uk_bill_carries_its_vat_code_the_net_amount_and_the_tax(uk):
    doc = document(
        currency="GBP",
        category_ref=coding(uk, "accounts", "General Expenses"),
        tax_rate_ref=coding(uk, "tax_rates", "20.0% S"),
    )
    ref = client_of(uk).publish(doc)
    body = received(ref)
    detail = body["Line"][0]["AccountBasedExpenseLineDetail"]
    assert detail == {"AccountRef": {"value": "23"}, "TaxCodeRef": {"value": "2"}}
    assert body["Line"][0]["Amount"] == 100.0 and body["TxnTaxDetail"] == {"TotalTax": 20.0}
    assert body["GlobalTaxCalculation"] == "TaxExcluded" and "CurrencyRef" not in body
    assert stored(ref).total == Decimal("120.00")


def test_a_uk_line_without_a_vat_code_is_refused_by_the_client_and_by_the_sandbox(uk):
    doc = document(currency="GBP", category_ref=coding(uk, "accounts", "General Expenses"))
    with pytest.raises(ValidationError, match="Choose a VAT rate from QuickBooks Online's list"):
        client_of(uk).publish(doc)
    client = client_of(uk)
    vendor = client.contact("Vendor", "Thames Office Supplies", "GBP")
    line = {
        "DetailType": "AccountBasedExpenseLineDetail",
        "Amount": 10,
        "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "23"}},
    }
    with pytest.raises(ValidationError, match="Make sure all your transactions have a VAT rate before you save"):
        client.call("POST", client.company_url("/bill"), json={"VendorRef": {"value": vendor.id}, "Line": [line]})


def test_a_sales_only_vat_code_on_a_bill_is_refused(uk):
    doc = document(
        currency="GBP",
        category_ref=coding(uk, "accounts", "General Expenses"),
        tax_rate_ref=coding(uk, "tax_rates", "0.0% EC Services"),
    )
    with pytest.raises(ValidationError, match="cannot be used on purchases"):
        client_of(uk).publish(doc)


def test_a_purchase_is_paid_from_the_payment_account_and_its_type_gives_the_payment_type(us):
    card = document(
        publish_as="purchase",
        category_ref=coding(us, "accounts", "Travel"),
        payment_account_ref=coding(us, "payment_accounts", "Mastercard"),
    )
    ref = client_of(us).publish(card)
    assert (received(ref)["PaymentType"], received(ref)["AccountRef"]) == ("CreditCard", {"value": "41"})
    assert ref.url.endswith(f"/app/expense?txnId={ref.external_id}"), "a Purchase is an expense in the app"
    bank = replace(
        card, reference="item-2", job_key="job-2", payment_account_ref=coding(us, "payment_accounts", "Checking")
    )
    assert received(client_of(us).publish(bank))["PaymentType"] == "Cash"
    with pytest.raises(ValidationError, match="Choose the account it was paid from"):
        client_of(us).publish(replace(card, payment_account_ref=None))


def test_a_sale_sells_the_product_of_its_income_account(us):
    sale = document(
        kind="sales", contact_name="Brookfield Bakery", category_ref=coding(us, "accounts", "Design income")
    )
    ref = client_of(us).publish(sale)
    line = received(ref)["Line"][0]
    assert line["SalesItemLineDetail"]["ItemRef"] == {"value": "3"}, "Design sells into Design income"
    assert ref.url.endswith(f"/app/invoice?txnId={ref.external_id}")
    with pytest.raises(ValidationError, match="Choose a product or service"):
        client_of(us).publish(replace(sale, category_ref=coding(us, "accounts", "Office Expenses")))


def test_a_us_sale_with_a_sales_tax_code_marks_its_line_taxable(us):
    sale = document(
        kind="sales",
        contact_name="Brookfield Bakery",
        category_ref=coding(us, "accounts", "Services"),
        tax_rate_ref=coding(us, "tax_rates", "California"),
    )
    body = received(client_of(us).publish(sale))
    assert body["Line"][0]["SalesItemLineDetail"]["TaxCodeRef"] == {"value": "TAX"}
    assert body["Line"][0]["Amount"] == 100.0
    assert body["TxnTaxDetail"] == {"TxnTaxCodeRef": {"value": "2"}, "TotalTax": 20.0}


def test_a_bill_in_another_currency_carries_currency_ref_and_quickbooks_exchange_rate(us):
    doc = document(currency="EUR", contact_name="Munich Parts GmbH", category_ref=coding(us, "accounts", "Supplies"))
    ref = client_of(us).publish(doc)
    assert received(ref)["CurrencyRef"] == {"value": "EUR"} and received(ref)["ExchangeRate"] == 1.085
    assert stored(ref).currency == "EUR"
    new = document(currency="GBP", contact_name="Leeds Paper Mill", category_ref=coding(us, "accounts", "Supplies"))
    client_of(us).publish(new)
    vendor = Contact.objects.get(provider="quickbooks_online", name="Leeds Paper Mill")
    assert vendor.body["CurrencyRef"]["value"] == "GBP", "a new vendor is made in the item's currency"


def test_the_sandbox_refuses_a_bill_in_another_currency_than_its_vendors(us):
    client = client_of(us)
    munich = client.contact("Vendor", "Munich Parts GmbH", "EUR")
    line = {
        "DetailType": "AccountBasedExpenseLineDetail",
        "Amount": 10,
        "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "24"}},
    }
    with pytest.raises(ValidationError, match="one foreign currency per transaction"):
        client.call("POST", client.company_url("/bill"), json={"VendorRef": {"value": munich.id}, "Line": [line]})
    doc = document(currency="USD", contact_name="Munich Parts GmbH", category_ref=coding(us, "accounts", "Supplies"))
    with pytest.raises(ValidationError, match="Munich Parts GmbH is a EUR contact"):
        client.publish(doc)


def test_an_update_goes_under_a_request_id_of_its_own_and_is_applied(us):
    client = client_of(us)
    doc = document(category_ref=coding(us, "accounts", "Office Expenses"))
    ref = client.publish(doc)
    edited = replace(doc, external_id=ref.external_id, total=Decimal("99.00"), job_key="job-of-the-edit")
    assert client_of(us).publish(edited).external_id == ref.external_id
    assert stored(ref).body["TotalAmt"] == 99.0 and stored(ref).body["SyncToken"] == "1", "the update was applied"
    assert IdempotentAnswer.objects.filter(provider="quickbooks_online").count() == 2, "two request ids"
    again = replace(edited, total=Decimal("98.00"))  # the same job, published again after another edit
    client_of(us).publish(again)
    assert stored(ref).body["TotalAmt"] == 98.0


def test_the_same_create_sent_again_is_a_replay(us):
    doc = document(category_ref=coding(us, "accounts", "Office Expenses"))
    first, again = client_of(us).publish(doc), client_of(us).publish(doc)
    assert first == again and Document.objects.count() == 1


def test_an_inactive_vendor_of_the_same_name_is_made_active_again(us):
    doc = document(contact_name="Old Print Shop", category_ref=coding(us, "accounts", "Office Expenses"))
    ref = client_of(us).publish(doc)
    vendor = Contact.objects.get(provider="quickbooks_online", name="Old Print Shop")
    assert vendor.body["Active"] is True and received(ref)["VendorRef"] == {"value": vendor.external_id}
    assert Contact.objects.filter(provider="quickbooks_online", name__startswith="Old Print Shop").count() == 1


@pytest.mark.parametrize("name", ["Alder Creek Dental", "Emma Lindqvist", "Closed Account Customer"])
def test_a_name_taken_by_a_customer_or_an_employee_gets_a_vendor_of_its_own(us, name):
    doc = document(contact_name=name, category_ref=coding(us, "accounts", "Office Expenses"))
    ref = client_of(us).publish(doc)
    vendor = Contact.objects.get(provider="quickbooks_online", kind="Vendor", name=f"{name} (Vendor)")
    assert received(ref)["VendorRef"] == {"value": vendor.external_id}
    client_of(us).publish(replace(doc, reference="second", job_key="second", invoice_number="INV-2"))
    assert Contact.objects.filter(provider="quickbooks_online", name__startswith=name).count() == 2, "found again"


def test_a_name_taken_twice_is_the_documents_error_not_a_retry(us):
    client = client_of(us)
    client.contact("Customer", "Twice Taken", "USD")
    client.contact("Customer", "Twice Taken (Vendor)", "USD")
    with pytest.raises(ValidationError, match="rename one of them"):
        client_of(us).publish(document(contact_name="Twice Taken", category_ref=coding(us, "accounts", "Supplies")))


def test_throttled_calls_wait_for_the_next_minute(us, monkeypatch):
    monkeypatch.setattr(sandbox_qbo, "MINUTE_LIMIT", 0)
    with pytest.raises(ProviderRateLimited) as limited:
        client_of(us).publish(document(category_ref=coding(us, "accounts", "Office Expenses")))
    assert 1 <= limited.value.retry_after <= 61, "no Retry-After from Intuit: the next minute"


def test_a_throttled_batch_request_waits_for_the_next_minute(us, monkeypatch):
    monkeypatch.setattr(sandbox_qbo, "BATCH_PER_MINUTE", 0)
    docs = [document(category_ref=coding(us, "accounts", "Office Expenses")) for _ in range(2)]
    with pytest.raises(ProviderRateLimited):
        client_of(us).publish_many(docs)


def test_lost_authorisation_is_an_auth_error_without_a_refresh(us, monkeypatch):
    from integrations import tokens

    us.external_tenant_id = "1234567890"  # a company the grant does not reach: 403, code 3100
    refreshed = []
    monkeypatch.setattr(tokens, "refresh", lambda *a, **k: refreshed.append(1))
    with pytest.raises(LostAuthorisation) as lost:
        client_of(us).query("select * from Account")
    assert isinstance(lost.value, AuthError) and refreshed == [], "a refresh does not bring the company back"


def test_batches_carry_at_most_ten_operations_under_keys_of_their_jobs_and_bodies(us):
    docs = [document(category_ref=coding(us, "accounts", "Office Expenses")) for _ in range(12)]
    outcomes = client_of(us).publish_many(docs)
    assert all(isinstance(o, ExternalRef) for o in outcomes) and Document.objects.count() == 12
    assert IdempotentAnswer.objects.filter(provider="quickbooks_online").count() == 2, "two batch requests"
    assert client_of(us).publish_many(list(reversed(docs))) == outcomes[::-1], "the same jobs again: replays"
    assert Document.objects.count() == 12


def test_attach_uploads_the_file_to_the_document_once(us):
    doc = document(
        category_ref=coding(us, "accounts", "Office Expenses"),
        attachment=Attachment(filename="receipt.pdf", content_type="application/pdf", content=PDF),
    )
    client = client_of(us)
    ref = client.publish(doc)
    assert not stored(ref).attachments.exists(), "publish makes the document only"
    client.attach(doc, ref)
    client.attach(doc, ref)  # a retry after a lost answer: the same request id
    assert [
        a["file_name"]
        for a in sandbox.document_detail(provider="quickbooks_online", external_id=ref.external_id)["attachments"]
    ] == ["receipt.pdf"]


def test_a_refused_file_is_a_validation_error_although_quickbooks_answers_200(us, monkeypatch):
    doc = document(
        category_ref=coding(us, "accounts", "Office Expenses"),
        attachment=Attachment(filename="receipt.exe", content_type="application/octet-stream", content=b"MZ"),
    )
    client = client_of(us)
    ref = client.publish(doc)
    with pytest.raises(ValidationError, match="Unsupported file format"):
        client.attach(doc, ref)
    monkeypatch.setattr(sandbox_qbo, "UPLOAD_MAX_BYTES", 10)
    big = replace(doc, attachment=Attachment(filename="receipt.pdf", content_type="application/pdf", content=PDF))
    with pytest.raises(ValidationError, match="larger than"):
        client.attach(big, ref)
    assert not stored(ref).attachments.exists()


def test_the_provider_declares_its_attachment_limit_and_lists():
    from integrations.providers import registry

    provider = registry.get("quickbooks_online")
    assert provider.max_attachment_bytes == 100_000_000
    assert [p.fetch for p in provider.list_passes] == ["accounts", "tax_rates", "contacts", "products", "tracking"]
    assert json.dumps([p.incremental for p in provider.list_passes]) == "[true, false, true, true, true]"


def test_a_batch_whose_answer_was_lost_is_replayed_when_sent_again(us):
    from integrations.providers.base import TransientError
    from integrations.sandbox.services import set_fault

    docs = [document(category_ref=coding(us, "accounts", "Office Expenses")) for _ in range(3)]
    client = client_of(us)
    client.contact("Vendor", "Office Supplies Co", "USD")  # the vendor exists: the batch is the only write
    set_fault("quickbooks_online", "lost_answer", count=1)
    with pytest.raises(TransientError):
        client_of(us).publish_many(docs)
    assert Document.objects.count() == 3, "the documents were made, their answer lost"
    outcomes = client_of(us).publish_many(docs)
    assert sorted(o.external_id for o in outcomes) == sorted(Document.objects.values_list("external_id", flat=True))


def test_an_upload_whose_answer_was_lost_attaches_once_when_sent_again(us):
    from integrations.providers.base import TransientError
    from integrations.sandbox.services import set_fault

    doc = document(
        category_ref=coding(us, "accounts", "Office Expenses"),
        attachment=Attachment(filename="receipt.pdf", content_type="application/pdf", content=PDF),
    )
    ref = client_of(us).publish(doc)
    set_fault("quickbooks_online", "lost_answer", count=1)
    with pytest.raises(TransientError):
        client_of(us).attach(doc, ref)
    client_of(us).attach(doc, ref)
    assert stored(ref).attachments.count() == 1
