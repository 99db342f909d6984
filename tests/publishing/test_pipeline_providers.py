"""Publishing to each provider through the sandbox: one document per item, the error taxonomy, tokens."""

from decimal import Decimal

import httpx
import pytest
from django.core.files.base import ContentFile

from integrations import http
from integrations.inprocess import InProcessProvider
from integrations.models import ConnectionStatus
from integrations.sandbox import selectors as sandbox
from integrations.sandbox.services import set_fault
from integrations.services import publishing_defaults_set
from publishing.models import Item, ItemState, PublishJob, PublishJobStatus
from publishing.pipeline import drain_continue, items_publish
from publishing.services import item_create
from publishing.worker import RECONNECT_MESSAGE, job_run
from tests.conftest import bill_com_connect, oauth_connect
from tests.xero_spec import ValidatingTransport, xero_openapi

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def xero_checked(sandbox_http):
    """Provider HTTP into the sandbox, every Xero request validated against Xero's OpenAPI document."""
    xero_openapi()  # load (or fail on) the spec before any request
    transport = ValidatingTransport(httpx.WSGITransport(app=InProcessProvider()))
    http.set_transport(transport)
    yield transport
    assert transport.problems == [], "\n".join(transport.problems)


@pytest.fixture
def sent(monkeypatch):
    messages = []
    monkeypatch.setattr("publishing.pipeline._send", lambda ids, queue: messages.extend(ids))
    return messages


def ready_item(world, kind="cost", n=1, **extra):
    fields = {
        "date": "2026-11-02",
        "due_date": "2026-12-02",
        "total": "120.00",
        "tax": "20.00",
        "category": "429 General Expenses",
        "invoice_number": f"INV-{kind}-{n}",
    } | extra
    name = "Northwind Traders" if kind == "sales" else "Office Supplies Co"
    return item_create(business=world.a, actor=world.users["business_admin"], kind=kind, contact_name=name, **fields)


def publish_and_run(world, items, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = items_publish(business=world.a, item_ids=[i.id for i in items], actor=world.users["business_admin"])
    assert not result.errors, result.errors
    ran = list(sent)
    outcomes = [job_run(job_id=job_id) for job_id in ran]
    sent.clear()
    drain_continue(job_ids=ran, sent=[])  # as the task does: the connection's token back when nothing is left
    return outcomes


def documents(provider):
    return sandbox.documents_list(provider=provider)


@pytest.mark.parametrize(
    "kind, publish_as, doc_type",
    [
        ("cost", "", "ACCPAY"),
        ("expense_claim", "", "ACCPAY"),
        ("sales", "", "ACCREC"),
        ("cost", "spend_money", "SPEND"),
    ],
)
def test_xero_publishes_each_kind_once_with_its_attachment(
    client, world, xero_checked, sent, django_capture_on_commit_callbacks, kind, publish_as, doc_type
):
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    item = ready_item(world, kind, publish_as=publish_as)
    Item.objects.for_business(world.a).filter(pk=item.pk).update(attachment="")
    item.refresh_from_db()
    item.attachment.save("receipt.pdf", ContentFile(PDF), save=True)
    publish_and_run(world, [item], sent, django_capture_on_commit_callbacks)
    item.refresh_from_db()
    assert item.state == ItemState.PUBLISHED, item.last_publish_error
    assert item.external_id and item.external_url.startswith("http")
    received = [d for d in documents("xero") if d["reference"] == str(item.pk)]
    assert len(received) == 1
    assert received[0]["type"] == doc_type
    assert Decimal(str(received[0]["total"])) == Decimal("120.00")
    assert received[0].get("attachments"), "the receipt was not attached"
    assert (
        "PUT",
        "/sandbox/xero/api.xro/2.0/Invoices" if doc_type != "SPEND" else "/sandbox/xero/api.xro/2.0/BankTransactions",
    ) in xero_checked.checked


@pytest.mark.parametrize("provider", ["xero", "quickbooks_online", "bill_com", "approvalmax"])
def test_a_replayed_job_makes_no_second_document(
    client, world, sandbox_http, sent, django_capture_on_commit_callbacks, provider
):
    """The provider answered but the worker died before recording it: the retry finds the first document."""
    if provider in ("bill_com", "approvalmax"):
        main = oauth_connect(client, world.a, world.users["business_admin"], "xero")
        extra = (
            bill_com_connect(world.a, world.users["business_admin"])
            if provider == "bill_com"
            else oauth_connect(client, world.a, world.users["business_admin"], "approvalmax")
        )
        publishing_defaults_set(business=world.a, actor=None, default_publishing_connection=extra.id)
        assert main
    else:
        oauth_connect(client, world.a, world.users["business_admin"], provider)
    category = "Office Expenses" if provider == "quickbooks_online" else "429 General Expenses"
    item = ready_item(world, "cost", n=7, category=category)
    publish_and_run(world, [item], sent, django_capture_on_commit_callbacks)
    item.refresh_from_db()
    assert item.state == ItemState.PUBLISHED, item.last_publish_error
    first = item.external_id
    # Lose the record of success: the job is open again, as after a kill -9 before the commit.
    job = PublishJob.objects.for_business(world.a).get()
    PublishJob.objects.for_business(world.a).filter(pk=job.pk).update(
        status=PublishJobStatus.PENDING, lease_expires_at=None
    )
    Item.objects.for_business(world.a).filter(pk=item.pk).update(state=ItemState.QUEUED, external_id="")
    job_run(job_id=job.pk)
    item.refresh_from_db()
    assert item.state == ItemState.PUBLISHED and item.external_id == first
    assert len([d for d in documents(provider) if d["reference"] == str(item.pk)]) == 1, f"{provider} got two documents"


def test_quickbooks_online_publishes_bill_and_invoice(
    client, world, sandbox_http, sent, django_capture_on_commit_callbacks
):
    oauth_connect(client, world.a, world.users["business_admin"], "quickbooks_online")
    # A sale is coded with an income account; its line is the company's product that sells into it.
    bill, sale = ready_item(world, "cost", category="Office Expenses"), ready_item(world, "sales", category="Services")
    unknown = ready_item(world, "cost", n=2, category="999 Nowhere")
    publish_and_run(world, [bill, sale], sent, django_capture_on_commit_callbacks)
    types = {d["reference"]: d["type"] for d in documents("quickbooks_online")}
    assert types == {str(bill.pk): "Bill", str(sale.pk): "Invoice"}
    # A category the company's chart does not have is refused before publishing, naming it (issue 10).
    refused = items_publish(business=world.a, item_ids=[unknown.id], actor=world.users["business_admin"])
    assert refused.errors[0]["code"] == "not_ready" and "999 Nowhere" in refused.errors[0]["detail"]


def test_server_errors_are_retried_with_backoff(client, world, sandbox_http, sent, django_capture_on_commit_callbacks):
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    item = ready_item(world)
    set_fault("xero", "server_error", rate=1.0)
    [retry] = publish_and_run(world, [item], sent, django_capture_on_commit_callbacks)
    assert retry is not None and retry.reason == "transient"
    item.refresh_from_db()
    job = PublishJob.objects.for_business(world.a).get()
    assert item.state == ItemState.QUEUED and job.status == PublishJobStatus.PENDING and job.not_before
    set_fault("xero", "none")
    PublishJob.objects.for_business(world.a).filter(pk=job.pk).update(not_before=None)
    assert job_run(job_id=job.pk) is None
    item.refresh_from_db()
    assert item.state == ItemState.PUBLISHED


def test_rate_limits_honour_retry_after(client, world, sandbox_http, sent, django_capture_on_commit_callbacks):
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    set_fault("xero", "rate_limit", rate=1.0, retry_after=7)
    [retry] = publish_and_run(world, [ready_item(world)], sent, django_capture_on_commit_callbacks)
    assert retry.reason == "rate_limited" and retry.delay == 7


def test_validation_errors_show_the_providers_message_without_retry(
    client, world, sandbox_http, sent, django_capture_on_commit_callbacks
):
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    first, duplicate = ready_item(world, "sales", n=5), ready_item(world, "sales", n=5)
    outcomes = publish_and_run(world, [first, duplicate], sent, django_capture_on_commit_callbacks)
    assert outcomes == [None, None]
    duplicate.refresh_from_db()
    assert duplicate.state == ItemState.READY
    assert duplicate.last_publish_error and duplicate.last_publish_error_kind == "validation"
    assert PublishJob.objects.for_business(world.a).get(item=duplicate).status == PublishJobStatus.FAILED


def test_expired_access_token_is_refreshed_once_and_publishing_goes_on(
    client, world, sandbox_http, sent, django_capture_on_commit_callbacks
):
    xero = oauth_connect(client, world.a, world.users["business_admin"], "xero")
    before = xero.credentials["refresh_token"]
    set_fault("xero", "expire_tokens")
    publish_and_run(world, [ready_item(world, n=1), ready_item(world, n=2)], sent, django_capture_on_commit_callbacks)
    xero.refresh_from_db()
    assert xero.status == ConnectionStatus.ACTIVE
    assert xero.credentials["refresh_token"] != before, "the rotated refresh token was not saved"
    assert set(Item.objects.for_business(world.a).values_list("state", flat=True)) == {ItemState.PUBLISHED}


def test_revoked_refresh_token_needs_reconnect_and_reconnecting_requeues(
    client, world, sandbox_http, sent, django_capture_on_commit_callbacks
):
    xero = oauth_connect(client, world.a, world.users["business_admin"], "xero")
    set_fault("xero", "revoke_refresh")
    set_fault("xero", "expire_tokens")
    item = ready_item(world)
    publish_and_run(world, [item], sent, django_capture_on_commit_callbacks)
    item.refresh_from_db()
    xero.refresh_from_db()
    assert xero.status == ConnectionStatus.NEEDS_RECONNECT
    assert item.state == ItemState.READY and item.last_publish_error == RECONNECT_MESSAGE
    # R5: reconnect through the same flow; the failed item is queued again by itself.
    from urllib.parse import urlsplit

    from tests.conftest import consent

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/b/{world.a.id}/settings/connections/{xero.id}/reconnect/")
        location = urlsplit(consent(client, response["Location"]))
        client.get(f"{location.path}?{location.query}")
    item.refresh_from_db()
    assert item.state == ItemState.QUEUED and sent, "the expired item was not queued again"
    [job_run(job_id=job_id) for job_id in sent]
    item.refresh_from_db()
    assert item.state == ItemState.PUBLISHED and item.last_publish_error is None


def test_xero_tax_rates_are_matched_by_name_or_refused_clearly(
    client, world, xero_checked, sent, django_capture_on_commit_callbacks
):
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    named = ready_item(world, "cost", n=31, tax_rate="20% (VAT on Expenses)")
    sales = ready_item(world, "sales", n=32, tax_rate="20% (VAT on Income)")
    unknown = ready_item(world, "cost", n=33, tax_rate="17.5% (old VAT)")
    publish_and_run(world, [named, sales, unknown], sent, django_capture_on_commit_callbacks)
    for item in (named, sales):
        item.refresh_from_db()
        assert item.state == ItemState.PUBLISHED, item.last_publish_error
    detail = sandbox.document_detail(provider="xero", external_id=named.external_id)
    assert "INPUT2" in str(detail), "the tax rate's name was not turned into Xero's TaxType"
    unknown.refresh_from_db()
    assert unknown.state == ItemState.READY and "17.5% (old VAT)" in unknown.last_publish_error
