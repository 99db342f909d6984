"""Xero's client publishing against the stricter sandbox: the ledger's own codes and ids from the lists, the
sandbox's refusals of what Xero refuses, granular scopes, lost access, Reference on sales only, and every call
counted against the connection's minute."""

from dataclasses import replace
from decimal import Decimal

import pytest

from integrations import ratelimit, tokens
from integrations.providers import registry
from integrations.providers.base import AccessLost, AuthError, ExternalRef, OwnLimitReached, ValidationError
from integrations.providers.document import Attachment
from integrations.sandbox import services as sandbox_services
from integrations.sandbox.models import Contact, Document, Grant
from integrations.sandbox.xero.constants import ATTACHMENT_LIMIT
from tests.integrations.xero.conftest import client_of, coding, document

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def received(ref: ExternalRef) -> dict:
    return Document.objects.get(provider="xero", external_id=ref.external_id).received


def stored(ref: ExternalRef) -> Document:
    return Document.objects.get(provider="xero", external_id=ref.external_id)


def refused(xero, **changes) -> str:
    with pytest.raises(ValidationError) as error:
        client_of(xero).publish(document(xero, **changes))
    return error.value.message


def test_a_bill_carries_the_account_code_and_tax_type_from_the_lists_and_a_link_not_a_reference(xero):
    doc = document(xero)
    ref = client_of(xero).publish(doc)
    bill = received(ref)
    line = bill["LineItems"][0]
    assert (line["AccountCode"], line["TaxType"], line["UnitAmount"]) == ("429", "INPUT2", 100.0)
    assert bill["Type"] == "ACCPAY" and bill["Status"] == "AUTHORISED" and bill["LineAmountTypes"] == "Exclusive"
    assert "Reference" not in bill, "Reference is for sales invoices only"
    assert bill["Url"] == doc.source_url and bill["InvoiceNumber"] == doc.invoice_number
    assert stored(ref).total == Decimal("120.00") and stored(ref).reference == doc.reference


def test_an_account_without_a_code_is_sent_by_its_account_id(xero):
    account = coding(xero, "accounts", "429")
    ref = client_of(xero).publish(document(xero, category_ref=replace(account, code="")))
    line = received(ref)["LineItems"][0]
    assert line["AccountID"] == account.external_id and "AccountCode" not in line
    assert stored(ref).body["LineItems"][0]["AccountCode"] == "429", "Xero found the account by its id"


def test_a_sale_carries_our_reference_and_a_sales_tax_type(xero):
    doc = document(
        xero,
        kind="sales",
        contact_name="Harbour Cafe Ltd",
        category_ref=coding(xero, "accounts", "200"),
        tax_rate_ref=coding(xero, "tax_rates", "OUTPUT2"),
    )
    sale = received(client_of(xero).publish(doc))
    assert sale["Type"] == "ACCREC" and sale["Reference"] == doc.reference
    assert sale["LineItems"][0]["TaxType"] == "OUTPUT2"


def test_spend_money_is_paid_from_the_payment_account_by_its_id(xero):
    card = coding(xero, "payment_accounts", "Company Credit Card")
    doc = document(xero, publish_as="spend_money", paid=True, payment_account_ref=card)
    spend = received(client_of(xero).publish(doc))
    assert spend["BankAccount"] == {"AccountID": card.external_id}
    assert spend["Type"] == "SPEND" and spend["Reference"] == doc.reference


def test_nothing_is_hard_coded_any_more():
    from integrations.providers.xero import client, endpoints

    assert not hasattr(endpoints, "SPEND_BANK_ACCOUNT_CODE")
    assert not hasattr(client.XeroClient, "tax_type") and not hasattr(client.XeroClient, "tax_rates")


def test_an_uncoded_document_is_refused_by_the_client_before_any_call(xero, calls):
    with pytest.raises(ValidationError, match="Choose a category from Xero's chart of accounts"):
        client_of(xero).publish(document(xero, category_ref=None))
    with pytest.raises(ValidationError, match="Choose the bank account or credit card it was paid from"):
        client_of(xero).publish(document(xero, publish_as="spend_money", paid=True))
    assert not calls.api(), "refused before Xero was asked anything"
    untaxed = document(xero, tax=None, tax_rate_ref=None)
    assert received(client_of(xero).publish(untaxed))["LineAmountTypes"] == "NoTax"
    defaulted = client_of(xero).publish(document(xero, tax_rate_ref=None))
    assert "TaxType" not in received(defaulted)["LineItems"][0]
    assert stored(defaulted).body["LineItems"][0]["TaxType"] == "INPUT2", "Xero took the account's default rate"


def test_the_sandbox_refuses_an_unknown_or_archived_account_code(xero):
    account = coding(xero, "accounts", "429")
    assert "Account code '999' is not a valid code for this document." in refused(
        xero, category_ref=replace(account, code="999")
    )
    assert "Account code '495' has been archived, or has been deleted." in refused(
        xero, category_ref=coding(xero, "accounts", "495")
    )
    bank = coding(xero, "payment_accounts", "090")
    assert "Account code '090' is not a valid code for this document." in refused(xero, category_ref=bank)
    assert not Document.objects.filter(provider="xero").exists()


def test_the_sandbox_refuses_an_unknown_archived_or_misused_tax_type(xero):
    tax = coding(xero, "tax_rates", "INPUT2")
    message = "The TaxType code '{}' does not exist or cannot be used for this type of transaction."
    assert message.format("INPUT9") in refused(xero, tax_rate_ref=replace(tax, code="INPUT9"))
    assert message.format("INPUT") in refused(xero, tax_rate_ref=coding(xero, "tax_rates", "INPUT"))
    assert message.format("OUTPUT2") in refused(xero, tax_rate_ref=coding(xero, "tax_rates", "OUTPUT2"))


def test_the_sandbox_refuses_an_unknown_or_archived_bank_account(xero):
    old = coding(xero, "payment_accounts", "Old Current Account")
    assert "has been archived" in refused(xero, publish_as="spend_money", payment_account_ref=old)
    gone = replace(old, external_id="00000000-0000-0000-0000-000000000000")
    assert "is not a valid bank account" in refused(xero, publish_as="spend_money", payment_account_ref=gone)


def test_xero_ignores_reference_on_a_bill_so_an_earlier_bill_is_found_by_its_link(xero):
    client = client_of(xero)
    doc = document(xero)
    sent = client.call(
        "PUT",
        client.api("/Invoices"),
        json={
            "Invoices": [
                {
                    **client.invoice_body(doc, client.contact_id(doc.contact_name))["Invoices"][0],
                    "Reference": doc.reference,
                }
            ]
        },
    ).json()["Invoices"][0]
    assert sent["Reference"] == "", "ignored on ACCPAY, without an error"
    by_reference = client.call("GET", client.api("/Invoices"), params={"where": f'Reference=="{doc.reference}"'})
    assert by_reference.json()["Invoices"] == []
    # A later job of the same item (an earlier one may have reached Xero) finds that bill by its link to the item.
    again = client.publish(replace(doc, idempotency_key="another-key", sent_before=True))
    assert again.external_id == sent["InvoiceID"]
    assert Document.objects.filter(provider="xero").count() == 1


def test_another_items_bill_with_the_same_supplier_and_number_is_not_taken_for_ours(xero):
    client = client_of(xero)
    first = client.publish(document(xero, invoice_number="TOS-1"))
    second = client.publish(document(xero, invoice_number="TOS-1", sent_before=True))
    assert second.external_id != first.external_id
    assert Document.objects.filter(provider="xero", type="ACCPAY").count() == 2


def test_the_product_asks_for_granular_scopes_only():
    scopes = set(registry.get("xero").scopes)
    assert "accounting.transactions" not in scopes
    assert {
        "accounting.invoices",
        "accounting.banktransactions",
        "accounting.contacts",
        "accounting.settings.read",
        "accounting.attachments",
        "offline_access",
    } <= scopes


def test_the_sandbox_refuses_a_token_without_the_scope_an_endpoint_needs(xero, monkeypatch):
    grant = Grant.objects.filter(provider="xero", organisations__external_id=xero.external_tenant_id).first()
    grant.scope = " ".join(s for s in grant.scope.split() if s != "accounting.invoices")
    grant.save(update_fields=["scope"])
    refreshed = []
    monkeypatch.setattr(
        tokens, "refresh", lambda connection, **kw: refreshed.append(1) or tokens.access_token(connection)
    )
    with pytest.raises(AuthError):
        client_of(xero).publish(document(xero))
    assert refreshed == [1], "a 401 is worth one refresh; the same answer again is the connection's end"
    assert client_of(xero).call("GET", client_of(xero).api("/TaxRates")).status_code == 200, "settings still granted"


def test_a_disconnected_organisation_answers_403_and_the_connection_needs_a_reconnect(xero, monkeypatch):
    sandbox_services.set_fault("xero", "disconnect")
    refreshed = []
    monkeypatch.setattr(tokens, "refresh", lambda *a, **k: refreshed.append(1))
    with pytest.raises(AccessLost) as lost:
        client_of(xero).publish(document(xero))
    assert isinstance(lost.value, AuthError) and refreshed == [], "a new token does not bring the organisation back"


def test_every_call_of_a_publish_counts_against_the_connections_minute(xero, calls):
    before = ratelimit.calls_counted(connection_id=xero.pk)
    doc = document(
        xero,
        contact_name="A New Supplier Ltd",
        attachment=Attachment(filename="bill.pdf", content_type="application/pdf", content=PDF),
    )
    client = client_of(xero)
    client.attach(doc, client.publish(doc))  # the attachment phase uploads once the bill's id is saved
    made = calls.api()
    assert [m for m, *_ in made] == ["GET", "PUT", "PUT", "PUT"], "look-up, new contact, bill, attachment"
    assert ratelimit.calls_counted(connection_id=xero.pk) - before == len(made)


def test_a_publish_stops_when_the_connections_minute_is_spent(xero, calls, monkeypatch):
    monkeypatch.setattr(registry.get("xero"), "rate_limit_per_minute", ratelimit.calls_counted(connection_id=xero.pk))
    with pytest.raises(OwnLimitReached):
        client_of(xero).publish(document(xero))
    assert not calls.api(), "our own limit refused the call before it was made"


def test_a_slots_reserved_call_is_not_counted_twice(xero):
    provider = registry.get("xero")
    before = ratelimit.calls_counted(connection_id=xero.pk)
    # A metered slot (as the worker, the attachment sender and the list sync hold): its reserved call is spent by
    # the first request, the second takes one place more.
    with ratelimit.provider_slot(connection_id=xero.pk, per_minute=60, concurrent=5, calls=1, metered=True):
        client = client_of(xero)
        client.call("GET", client.api("/TaxRates"))
        client.call("GET", client.api("/TaxRates"))
    assert ratelimit.calls_counted(connection_id=xero.pk) - before == 2, "the slot's one, and one more"
    assert provider.rate_limit_per_minute == 60


def test_the_sandbox_answers_rate_limit_headers_on_every_call(xero):
    client = client_of(xero)
    answer = client.call("GET", client.api("/Accounts"))
    assert int(answer.headers["X-DayLimit-Remaining"]) < 5000 and int(answer.headers["X-MinLimit-Remaining"]) < 60
    assert Contact.objects.filter(provider="xero").exists(), "the organisation's contacts are there from the start"


def test_an_attachment_goes_to_the_saved_document_and_the_sandbox_refuses_a_file_over_10_mb(xero, calls):
    provider = registry.get("xero")
    assert provider.max_attachment_bytes == ATTACHMENT_LIMIT == 10 * 1024 * 1024, "refused before publishing"
    client = client_of(xero)
    made = client.publish(document(xero))
    calls.seen.clear()
    receipt = Attachment(filename="bill 1.pdf", content_type="application/pdf", content=PDF)
    client.attach(document(xero, attachment=receipt), made)
    assert [(m, p) for m, p, *_ in calls.api()] == [
        ("PUT", f"/sandbox/xero/api.xro/2.0/Invoices/{made.external_id}/Attachments/bill 1.pdf")
    ]
    client.attach(document(xero, attachment=receipt), made)  # sent again (a lost answer): replaced, not added
    assert [a.file_name for a in stored(made).attachments.all()] == ["bill 1.pdf"]
    big = Attachment(filename="big.pdf", content_type="application/pdf", content=PDF + b"0" * ATTACHMENT_LIMIT)
    with pytest.raises(ValidationError):
        client.attach(document(xero, attachment=big), made)
