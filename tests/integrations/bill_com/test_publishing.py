"""Publishing to Bill.com with the organisation's own ids: each bill line carries the chart of account id of the item's
category (never words), a new vendor goes with an address, and a retry finds the first bill with a documented filter
(by vendor, newest first), never by invoice number."""

from dataclasses import replace

import pytest

from integrations.lists.models import ListKind
from integrations.providers import registry
from integrations.providers.base import ValidationError
from integrations.providers.document import Attachment, Coding
from integrations.sandbox.bill_com.api import DOCUMENT_LIMIT
from integrations.sandbox.models import Contact, Document
from integrations.services import publishing_defaults_set
from publishing.models import Item, ItemState
from tests.integrations.bill_com.conftest import client_of, coding, document
from tests.publishing.conftest import PDF

A = ListKind.ACCOUNTS


def bill_received(external_id: str) -> dict:
    return Document.objects.get(provider="bill_com", external_id=external_id).received


def test_a_bill_line_carries_the_chart_of_account_id_of_the_items_category(bill):
    general = coding(bill, A, "429")
    ref = client_of(bill).publish(document(category="429 General Expenses", category_ref=general))
    [line] = bill_received(ref.external_id)["billLineItems"]
    assert line["classifications"] == {"chartOfAccountId": general.external_id}
    assert "chartOfAccountId" not in line and line["amount"] == 120.0


def test_a_document_not_coded_from_the_chart_is_refused_before_any_bill_is_made(bill, calls):
    with pytest.raises(ValidationError, match="Choose a category from Bill.com's chart of accounts"):
        client_of(bill).publish(document(category="429 General Expenses"))
    assert not [c for c in calls.seen if c[0] == "POST" and c[1].endswith("/bills")], "words were sent as a code"
    assert not Document.objects.filter(provider="bill_com").exists()


@pytest.mark.parametrize(
    ("ref", "says"),
    [
        (Coding(external_id="0canothere000000000", code="999", name="Nowhere"), "is not in this organization"),
        (None, "is archived"),  # 426 Postage (old), archived in Bill.com
    ],
)
def test_the_sandbox_refuses_an_unknown_or_archived_account_like_bill_com(bill, ref, says):
    ref = ref or coding(bill, A, "426")
    with pytest.raises(ValidationError, match=says):
        client_of(bill).publish(document(category_ref=ref))
    assert not Document.objects.filter(provider="bill_com").exists()


def test_the_sandbox_refuses_a_chart_of_account_id_outside_classifications(bill):
    client = client_of(bill)
    body = client.bill_body(document(category_ref=coding(bill, A, "429")))
    line = body["billLineItems"][0]
    line["chartOfAccountId"] = line.pop("classifications")["chartOfAccountId"]
    with pytest.raises(ValidationError, match="classifications.chartOfAccountId"):
        client.call("POST", "/bills", json=body)


def test_a_new_vendor_is_created_with_an_address_and_the_sandbox_refuses_one_without(bill):
    client = client_of(bill)
    client.publish(document(contact_name="Brand New Supplier LLC", category_ref=coding(bill, A, "429")))
    vendor = Contact.objects.get(provider="bill_com", kind="vendor", name="Brand New Supplier LLC")
    assert vendor.body["address"]["country"] == "US"
    with pytest.raises(ValidationError, match="address is required"):
        client.call("POST", "/vendors", json={"name": "No Address Inc", "accountType": "BUSINESS"})
    with pytest.raises(ValidationError, match="between 1 and 100"):
        client.call("POST", "/vendors", json={"name": "x" * 101, "address": {"country": "US"}})


def test_a_known_vendor_is_reused_by_name(bill):
    client_of(bill).publish(document(contact_name="FedEx", category_ref=coding(bill, A, "425")))
    assert Contact.objects.filter(provider="bill_com", kind="vendor", name="FedEx").count() == 1


def test_a_retry_finds_the_first_bill_by_vendor_newest_first_not_by_invoice_number(bill, calls):
    client = client_of(bill)
    general = coding(bill, A, "429")
    first = document(category_ref=general)
    made = client.publish(first)
    for n in range(3):  # other bills of the same vendor, made later
        client.publish(document(category_ref=general, invoice_number=f"OTHER-{n}"))
    calls.seen.clear()
    again = client.publish(first.__class__(**{**first.__dict__, "maybe_sent": True}))
    assert again.external_id == made.external_id
    assert Document.objects.filter(provider="bill_com", reference=first.reference).count() == 1
    looked = [query for method, path, query in calls.seen if method == "GET" and path.endswith("/bills")]
    assert looked and all("invoiceNumber" not in query for query in looked)
    assert all('vendorId:eq:"009' in query and "sort=createdTime:desc" in query for query in looked)


def test_an_item_coded_from_the_synced_chart_is_published_with_its_id(
    bill, world, sent, django_capture_on_commit_callbacks
):
    from tests.publishing.test_pipeline_providers import publish_and_run, ready_item

    publishing_defaults_set(business=world.a, actor=None, default_publishing_connection=bill.id)
    item = ready_item(world, "cost", n=1)
    assert item.integration_id == bill.id and item.category_entry.connection_id == bill.id
    publish_and_run(world, [item], sent, django_capture_on_commit_callbacks)
    item = Item.objects.for_business(world.a).get(pk=item.pk)
    assert item.state == ItemState.PUBLISHED, item.last_publish_error
    [line] = bill_received(item.external_id)["billLineItems"]
    assert line["classifications"]["chartOfAccountId"] == item.category_entry.external_id


@pytest.fixture
def sent(monkeypatch):
    messages = []
    monkeypatch.setattr("publishing.pipeline._send", lambda ids, queue: messages.extend(ids))
    return messages


def test_a_bill_com_item_is_ready_without_a_tax_rate_bill_com_keeps_none(bill, world):
    from publishing.coding import coding_context, item_problems
    from tests.publishing.test_pipeline_providers import ready_item

    publishing_defaults_set(business=world.a, actor=None, default_publishing_connection=bill.id)
    plain = ready_item(world, "cost", n=1)
    worded = ready_item(world, "cost", n=2, tax_rate="20% (VAT on Expenses)")
    context = coding_context(world.a)
    for item in (plain, worded):
        item = Item.objects.for_business(world.a).select_related("category_entry").get(pk=item.pk)
        assert item.integration_id == bill.id
        assert item.state == ItemState.READY, item_problems(item, context)
        assert not [p for p in item_problems(item, context) if p["field"] == "tax_rate"]


def test_in_a_batch_a_document_not_coded_is_refused_alone_and_the_others_are_made(bill):
    general = coding(bill, A, "429")
    docs = [document(category_ref=general), document(), document(category_ref=general)]
    first, refused, last = client_of(bill).publish_many(docs)
    assert isinstance(refused, ValidationError) and "chart of accounts" in refused.message
    made = Document.objects.filter(provider="bill_com").values_list("external_id", flat=True)
    assert {first.external_id, last.external_id} == set(made)


def test_a_bills_document_is_uploaded_once_looking_first_only_when_it_may_have_gone(bill, calls):
    assert registry.get("bill_com").max_attachment_bytes == DOCUMENT_LIMIT == 6 * 1024 * 1024
    client = client_of(bill)
    receipt = Attachment(filename="receipt.pdf", content_type="application/pdf", content=PDF)
    doc = document(category_ref=coding(bill, A, "429"), attachment=receipt)
    made = client.publish(doc)
    assert calls.paths("/documents/") == [], "publishing uploads nothing"
    client.attach(doc, made)  # the first upload of a bill just made: no look-up
    assert [m for m, *_ in calls.paths("/documents/")] == ["POST"]
    calls.seen.clear()
    client.attach(replace(doc, maybe_sent=True), made)  # a retry after a lost answer: looks, finds it, sends nothing
    assert [m for m, *_ in calls.paths("/documents/")] == ["GET"]
    assert [a.file_name for a in Document.objects.get(external_id=made.external_id).attachments.all()] == [
        "receipt.pdf"
    ]
    big = Attachment(filename="big.pdf", content_type="application/pdf", content=PDF + b"0" * DOCUMENT_LIMIT)
    with pytest.raises(ValidationError):
        client.attach(replace(doc, attachment=big, maybe_sent=False), made)
