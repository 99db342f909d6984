"""Xero's Accounting API as the sandbox plays it: authorisation, documents, idempotency, limits."""

from contextlib import ExitStack

from integrations.sandbox import counters
from integrations.sandbox.models import Document
from tests.integrations.sandbox.conftest import bill, connect, xero_call


def test_api_calls_need_a_bearer_token(client, xero):
    response = client.get("/sandbox/xero/api.xro/2.0/Accounts", headers={"xero-tenant-id": xero.tenants[0]})
    assert response.status_code == 401
    assert response.json() == {
        "Type": None,
        "Title": "Unauthorized",
        "Status": 401,
        "Detail": "AuthenticationUnsuccessful",
    }


def test_xero_tenant_id_must_be_one_the_token_was_granted(client, xero):
    other = connect(client, "xero", orgs=2).tenants[1]
    assert xero_call(client, xero, "GET", "/Accounts").status_code == 200
    refused = xero_call(client, xero, "GET", "/Accounts", tenant=other)
    # As Xero answers a tenant the token does not reach (disconnected, or never granted): XeroAPI/xero-node#432.
    assert refused.status_code == 403 and refused.json()["Detail"] == "AuthenticationUnsuccessful"
    missing = client.get("/sandbox/xero/api.xro/2.0/Accounts", headers={"Authorization": xero.bearer})
    assert missing.status_code == 403


def test_contacts_are_created_found_by_name_and_unique(client, xero):
    created = xero_call(client, xero, "PUT", "/Contacts", {"Contacts": [{"Name": "Acme Supplies"}]})
    assert created.status_code == 200
    contact = created.json()["Contacts"][0]
    assert contact["ContactStatus"] == "ACTIVE" and contact["ContactID"]
    found = xero_call(client, xero, "GET", '/Contacts?where=Name=="acme supplies"').json()["Contacts"]
    assert [c["ContactID"] for c in found] == [contact["ContactID"]]
    assert xero_call(client, xero, "GET", '/Contacts?where=Name=="Nobody"').json()["Contacts"] == []
    duplicate = xero_call(client, xero, "PUT", "/Contacts", {"Contacts": [{"Name": "ACME Supplies"}]})
    assert duplicate.status_code == 400
    assert "already assigned to another contact" in duplicate.json()["Elements"][0]["ValidationErrors"][0]["Message"]
    assert xero_call(client, xero, "GET", f"/Contacts/{contact['ContactID']}").status_code == 200
    assert xero_call(client, xero, "GET", '/Contacts?where=Name="broken"').status_code == 400


def test_bill_is_created_with_xero_arithmetic_and_the_reference_rule(client, xero):
    response = xero_call(client, xero, "PUT", "/Invoices?summarizeErrors=true", {"Invoices": [bill()]})
    assert response.status_code == 200, response.content
    invoice = response.json()["Invoices"][0]
    assert invoice["Type"] == "ACCPAY" and invoice["Status"] == "AUTHORISED"
    assert invoice["SubTotal"] == 21.0 and invoice["TotalTax"] == 4.2 and invoice["Total"] == 25.2
    assert invoice["Date"].startswith("/Date(") and invoice["DateString"] == "2030-01-05T00:00:00"
    assert invoice["Contact"]["Name"] == "Acme Supplies" and invoice["CurrencyCode"] == "GBP"
    document = Document.objects.get(provider="xero", external_id=invoice["InvoiceID"])
    assert document.reference == "item-1" and str(document.total) == "25.2000"
    fetched = xero_call(client, xero, "GET", f"/Invoices/{invoice['InvoiceID']}").json()["Invoices"][0]
    assert fetched["InvoiceID"] == invoice["InvoiceID"]
    # Without a Reference the InvoiceNumber is the reference; the contact now exists and is reused.
    second = xero_call(client, xero, "PUT", "/Invoices", bill(reference=None, InvoiceNumber="item-2")).json()
    assert second["Invoices"][0]["Contact"]["ContactID"] == invoice["Contact"]["ContactID"]
    assert Document.objects.get(external_id=second["Invoices"][0]["InvoiceID"]).reference == "item-2"


def test_unknown_invoice_is_404(client, xero):
    assert xero_call(client, xero, "GET", "/Invoices/00000000-0000-0000-0000-000000000000").status_code == 404


def test_validation_errors_use_xeros_shape_and_save_nothing(client, xero):
    bad = [
        bill(Contact=None),
        bill(LineItems=[]),
        bill(Type="BILL"),
        bill(LineItems=[{"Description": "x", "UnitAmount": 5, "AccountCode": "999"}]),
    ]
    response = xero_call(client, xero, "PUT", "/Invoices", {"Invoices": bad})
    body = response.json()
    assert response.status_code == 400
    assert body["ErrorNumber"] == 10 and body["Type"] == "ValidationException"
    assert body["Message"] == "A validation exception occurred"
    messages = [e["ValidationErrors"][0]["Message"] for e in body["Elements"]]
    assert messages == [
        "A Contact must be specified for this type of transaction",
        "You must specify at least one line item",
        "Invoice Type must be ACCPAY or ACCREC",
        "Account code '999' is not a valid code for this document.",
    ]
    assert not Document.objects.exists()


def test_summarize_errors_false_saves_the_good_ones(client, xero):
    response = xero_call(client, xero, "PUT", "/Invoices?summarizeErrors=false", [bill(), bill(Contact=None)])
    items = response.json()["Invoices"]
    assert response.status_code == 200
    assert [i["StatusAttributeString"] for i in items] == ["OK", "ERROR"]
    assert Document.objects.count() == 1


def test_idempotency_key_replay_returns_the_original_and_creates_nothing(client, xero):
    first = xero_call(client, xero, "PUT", "/Invoices", bill(), **{"Idempotency-Key": "item-1-attempt"})
    replay = xero_call(client, xero, "PUT", "/Invoices", bill(), **{"Idempotency-Key": "item-1-attempt"})
    assert replay.status_code == 200 and replay.json() == first.json()
    assert Document.objects.filter(provider="xero").count() == 1
    too_long = xero_call(client, xero, "PUT", "/Invoices", bill(), **{"Idempotency-Key": "k" * 129})
    assert too_long.status_code == 400


def test_a_refused_request_can_be_retried_under_the_same_key(client, xero):
    key = {"Idempotency-Key": "retry-after-fix"}
    assert xero_call(client, xero, "PUT", "/Invoices", bill(Contact=None), **key).status_code == 400
    assert xero_call(client, xero, "PUT", "/Invoices", bill(), **key).status_code == 200


def test_sales_invoice_numbers_are_generated_and_unique(client, xero):
    sale = {
        **bill(),
        "Type": "ACCREC",
        "InvoiceNumber": None,
        "LineItems": [{"Description": "Work", "UnitAmount": 100, "AccountCode": "200"}],
    }
    created = xero_call(client, xero, "PUT", "/Invoices", sale).json()["Invoices"][0]
    assert created["InvoiceNumber"] == "INV-0001" and created["Total"] == 120.0
    clash = xero_call(client, xero, "PUT", "/Invoices", {**sale, "InvoiceNumber": "INV-0001"})
    assert clash.json()["Elements"][0]["ValidationErrors"][0]["Message"] == "Invoice # must be unique."


def test_spend_money_and_attachments(client, xero):
    spend = {
        "Type": "SPEND",
        "Contact": {"Name": "Taxi Co"},
        "BankAccount": {"Code": "090"},
        "Date": "2030-01-06",
        "Reference": "item-9",
        "LineAmountTypes": "Inclusive",
        "LineItems": [{"Description": "Taxi", "UnitAmount": 12, "AccountCode": "493", "TaxType": "INPUT2"}],
    }
    created = xero_call(client, xero, "PUT", "/BankTransactions", {"BankTransactions": [spend]})
    transaction = created.json()["BankTransactions"][0]
    assert transaction["Total"] == 12.0 and transaction["TotalTax"] == 2.0 and transaction["SubTotal"] == 10.0
    no_bank = xero_call(client, xero, "PUT", "/BankTransactions", {**spend, "BankAccount": {"Code": "453"}})
    assert no_bank.status_code == 400
    path = f"/BankTransactions/{transaction['BankTransactionID']}/Attachments/receipt 1.jpg"
    uploaded = client.put(
        "/sandbox/xero/api.xro/2.0" + path,
        data=b"\xff\xd8jpeg-bytes",
        content_type="image/jpeg",
        headers={"Authorization": xero.bearer, "xero-tenant-id": xero.tenants[0]},
    )
    assert uploaded.status_code == 200
    attachment = uploaded.json()["Attachments"][0]
    assert attachment["FileName"] == "receipt 1.jpg" and attachment["ContentLength"] == 12
    assert attachment["MimeType"] == "image/jpeg"
    document = Document.objects.get(external_id=transaction["BankTransactionID"])
    assert bytes(document.attachments.get().content) == b"\xff\xd8jpeg-bytes"
    missing = xero_call(client, xero, "PUT", "/Invoices/00000000-0000-0000-0000-000000000000/Attachments/a.pdf")
    assert missing.status_code == 404


def test_invoice_attachment(client, xero):
    invoice = xero_call(client, xero, "PUT", "/Invoices", bill()).json()["Invoices"][0]
    response = client.put(
        f"/sandbox/xero/api.xro/2.0/Invoices/{invoice['InvoiceID']}/Attachments/bill.pdf",
        data=b"%PDF-1.4",
        content_type="application/pdf",
        headers={"Authorization": xero.bearer, "xero-tenant-id": xero.tenants[0]},
    )
    assert response.status_code == 200
    assert xero_call(client, xero, "GET", f"/Invoices/{invoice['InvoiceID']}").json()["Invoices"][0]["HasAttachments"]


def test_reference_data(client, xero):
    accounts = xero_call(client, xero, "GET", "/Accounts").json()["Accounts"]
    assert {"Code": "461", "Type": "OVERHEADS"}.items() <= next(a for a in accounts if a.get("Code") == "461").items()
    banks = xero_call(client, xero, "GET", '/Accounts?where=Type=="BANK"').json()["Accounts"]
    assert {a["Name"]: a.get("Code") for a in banks} == {
        "Business Bank Account": "090",
        "Business Savings Account": "091",
        "Company Credit Card": None,
        "Old Current Account": "092",
    }
    rates = xero_call(client, xero, "GET", "/TaxRates").json()["TaxRates"]
    assert next(r for r in rates if r["TaxType"] == "INPUT2")["EffectiveRate"] == 20.0
    organisation = xero_call(client, xero, "GET", "/Organisation").json()["Organisations"][0]
    assert organisation["Name"] == "Sandbox Trading Co" and organisation["BaseCurrency"] == "GBP"


def test_sixty_calls_a_minute_then_429_with_retry_after(client, xero, clock):
    clock.advance(seconds=15)  # 45 s left in this minute's window
    remaining = [xero_call(client, xero, "GET", "/TaxRates")["X-MinLimit-Remaining"] for _ in range(60)]
    assert remaining[0] == "59" and remaining[-1] == "0"
    limited = xero_call(client, xero, "GET", "/TaxRates")
    assert limited.status_code == 429
    assert limited["Retry-After"] == "45" and limited["X-Rate-Limit-Problem"] == "minute"
    clock.advance(seconds=45)
    assert xero_call(client, xero, "GET", "/TaxRates").status_code == 200


def test_five_concurrent_calls_per_tenant_then_429(client, xero):
    with ExitStack() as stack:
        for _ in range(5):
            stack.enter_context(counters.concurrency_slot(f"xero:{xero.tenants[0]}", 5))
        limited = xero_call(client, xero, "GET", "/TaxRates")
    assert limited.status_code == 429 and limited["X-Rate-Limit-Problem"] == "concurrent"
    assert limited["Retry-After"]
    assert xero_call(client, xero, "GET", "/TaxRates").status_code == 200


def test_a_put_of_many_documents_costs_the_same_statements_as_a_put_of_two(client, xero):
    """Each contact is looked up once per request and the new documents are inserted together, so the sandbox keeps
    up with the batches our workers send. A contact made by name in the request is made once and reused."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from integrations.sandbox.models import Contact

    def put(count: int, prefix: str) -> tuple[int, list]:
        invoices = [bill(contact_name="New Supplier Ltd", reference=f"{prefix}-{n}") for n in range(count)]
        with CaptureQueriesContext(connection) as statements:
            response = xero_call(client, xero, "PUT", "/Invoices?summarizeErrors=false", {"Invoices": invoices})
        assert response.status_code == 200, response.content
        return len(statements), response.json()["Invoices"]

    _, first = put(3, "first")  # makes the contact (and opens the rate windows)
    two, _ = put(2, "two")
    ten, invoices = put(10, "ten")
    assert ten == two
    assert Contact.objects.filter(provider="xero", name="New Supplier Ltd").count() == 1
    assert {i["Contact"]["ContactID"] for i in first + invoices} == {first[0]["Contact"]["ContactID"]}
    stored = dict(Document.objects.filter(reference__startswith="ten-").values_list("external_id", "reference"))
    assert stored == {i["InvoiceID"]: f"ten-{n}" for n, i in enumerate(invoices)}


def test_sales_numbers_clash_within_one_put_too(client, xero):
    sale = {
        "Type": "ACCREC",
        "InvoiceNumber": "INV-7",
        "Status": "DRAFT",
        "LineItems": [{"Description": "Work", "UnitAmount": 100, "AccountCode": "200", "TaxType": "OUTPUT2"}],
    }
    response = xero_call(
        client, xero, "PUT", "/Invoices?summarizeErrors=false", {"Invoices": [bill(**sale), bill(**sale)]}
    )
    first, second = response.json()["Invoices"]
    assert first["StatusAttributeString"] == "OK"
    assert second["ValidationErrors"] == [{"Message": "Invoice # must be unique."}]
    assert Document.objects.filter(type="ACCREC").count() == 1
