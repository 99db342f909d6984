"""Xero's and Bill.com's attachments go up after their document, once its id is saved (issue 11): a refused upload
leaves the item published with a warning and Retry attachment, a retried upload or publish never makes a second
document or a second file, and every upload counts against the connection's limit. QuickBooks Desktop keeps no
attachments: its items never claim one was sent."""

import pytest
from django.core.files.base import ContentFile

from integrations import ratelimit
from integrations.inprocess import InProcessProvider
from integrations.providers import registry
from integrations.providers.approvalmax.client import ApprovalMaxClient
from integrations.providers.bill_com.client import BillComClient
from integrations.providers.xero.client import XeroClient
from integrations.sandbox import selectors as sandbox
from integrations.sandbox.services import set_fault
from integrations.services import publishing_defaults_set
from publishing import tasks
from publishing.eta import calls_per_document
from publishing.models import AttachmentStatus, Item, ItemState, PublishJob, PublishJobStatus
from publishing.pipeline import drain_continue, items_publish
from publishing.worker import job_run
from tests.conftest import bill_com_connect, oauth_connect
from tests.publishing.conftest import PDF, make_item

CLIENTS = {"xero": XeroClient, "bill_com": BillComClient, "approvalmax": ApprovalMaxClient}
# Where each provider's documents are kept (ApprovalMax's bills are made in the business's Xero organisation).
LEDGER = {"xero": "xero", "bill_com": "bill_com", "approvalmax": "xero"}
# Where each sandbox keeps the largest file it takes (the real services' limits: 10 MB, 6 MB).
SANDBOX_LIMITS = {
    "xero": "integrations.sandbox.xero.attachments.ATTACHMENT_LIMIT",
    "bill_com": "integrations.sandbox.bill_com.api.DOCUMENT_LIMIT",
}


@pytest.fixture
def sent(monkeypatch):
    messages = []
    monkeypatch.setattr("publishing.pipeline._send", lambda ids, queue: messages.extend(ids))
    return messages


@pytest.fixture
def requests_seen(monkeypatch):
    """The provider API requests the sandbox received: (method, path)."""
    seen = []
    original = InProcessProvider.__call__

    def spy(app, environ, start_response):
        seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        return original(app, environ, start_response)

    monkeypatch.setattr(InProcessProvider, "__call__", spy)
    return seen


def connected(client, world, provider):
    """Xero (main) connected through its OAuth flow; Bill.com or ApprovalMax too, as the default integration."""
    admin = world.users["business_admin"]
    xero = oauth_connect(client, world.a, admin, "xero")
    if provider == "xero":
        return xero
    extra = (
        bill_com_connect(world.a, admin) if provider == "bill_com" else oauth_connect(client, world.a, admin, provider)
    )
    publishing_defaults_set(business=world.a, actor=None, default_publishing_connection=extra.id)
    return extra


def item_with_receipt(world, n=1):
    item = make_item(world.a, category="429 General Expenses", invoice_number=f"INV-{n}", due_date="2026-12-02")
    item.attachment.save("receipt.pdf", ContentFile(PDF), save=True)
    return item


def publish(world, item, sent, capture):
    with capture(execute=True):
        result = items_publish(business=world.a, item_ids=[item.pk], actor=world.users["business_admin"])
    assert not result.errors, result.errors
    ran = list(sent)
    sent.clear()
    for job_id in ran:
        job_run(job_id=job_id)
    drain_continue(job_ids=ran, sent=[])
    item.refresh_from_db()


def held(provider, item):
    """The provider's documents of this item, each with its attachments."""
    return [d for d in sandbox.documents_list(provider=provider) if d["reference"] == str(item.pk)]


def uploads_now(monkeypatch):
    """The attachment task runs where it is sent (as a worker would take it), instead of going to the broker."""
    monkeypatch.setattr(
        tasks.send_attachments, "apply_async", lambda args, **kw: tasks.send_attachments.apply(args=args)
    )


def retry(api_as, world, item, capture):
    with capture(execute=True):
        answer = api_as(world.users["business_admin"]).post(
            f"/api/v1/businesses/{world.a.id}/items/{item.pk}/attachment/retry/"
        )
    assert answer.status_code == 202, answer.content
    item.refresh_from_db()


@pytest.mark.parametrize("provider", ["xero", "bill_com", "approvalmax"])
def test_the_documents_id_is_saved_before_its_attachment_is_uploaded(
    client, world, sandbox_http, sent, django_capture_on_commit_callbacks, monkeypatch, provider
):
    connected(client, world, provider)
    item = item_with_receipt(world)
    at_upload = []
    original = CLIENTS[provider].attach

    def watched(self, doc, ref):
        at_upload.append(Item.objects.for_business(world.a).values("state", "external_id").get(pk=item.pk))
        return original(self, doc, ref)

    monkeypatch.setattr(CLIENTS[provider], "attach", watched)
    publish(world, item, sent, django_capture_on_commit_callbacks)
    assert at_upload == [{"state": ItemState.PUBLISHED, "external_id": item.external_id}], "uploaded before saved"
    assert item.attachment_status == AttachmentStatus.SENT
    [document] = held(LEDGER[provider], item)
    assert document["attachments"] == ["receipt.pdf"]


@pytest.mark.parametrize("provider", ["xero", "bill_com"])
def test_a_refused_upload_leaves_the_item_published_with_a_warning_and_retry_uploads_it_once(
    client, world, sandbox_http, sent, django_capture_on_commit_callbacks, monkeypatch, api_as, provider
):
    connection = connected(client, world, provider)
    item = item_with_receipt(world)
    monkeypatch.setattr(SANDBOX_LIMITS[provider], 10)  # the service refuses the file (too large for it)
    publish(world, item, sent, django_capture_on_commit_callbacks)
    assert item.state == ItemState.PUBLISHED and item.external_id, item.last_publish_error
    assert item.attachment_status == AttachmentStatus.FAILED
    assert item.attachment_error.startswith(f"{connection.name} refused the attachment:"), item.attachment_error
    [document] = held(provider, item)
    assert document["id"].lower() == item.external_id.lower() and document["attachments"] == []
    client.force_login(world.users["business_admin"])
    page = client.get(f"/b/{world.a.id}/items/{item.pk}/").content.decode()
    assert 'data-testid="attachment-warning"' in page and "Retry attachment" in page

    monkeypatch.undo()  # the file is taken now
    uploads_now(monkeypatch)
    retry(api_as, world, item, django_capture_on_commit_callbacks)
    assert item.state == ItemState.PUBLISHED and item.attachment_status == AttachmentStatus.SENT
    [document] = held(provider, item)
    assert document["attachments"] == ["receipt.pdf"], "uploaded once"


@pytest.mark.parametrize("provider", ["xero", "bill_com"])
def test_every_call_of_the_attachment_phase_counts_against_the_connections_limit(
    client, world, sandbox_http, sent, django_capture_on_commit_callbacks, monkeypatch, requests_seen, api_as, provider
):
    connection = connected(client, world, provider)
    item = item_with_receipt(world)
    with monkeypatch.context() as refusing:
        refusing.setattr(SANDBOX_LIMITS[provider], 10)
        publish(world, item, sent, django_capture_on_commit_callbacks)
    assert item.attachment_status == AttachmentStatus.FAILED
    uploads_now(monkeypatch)
    before, counted = len(requests_seen), ratelimit.calls_counted(connection_id=connection.pk)
    retry(api_as, world, item, django_capture_on_commit_callbacks)
    made = [r for r in requests_seen[before:] if not r[1].endswith("/login")]
    method, path = made[-1]
    assert method in ("PUT", "POST") and ("/Attachments/" in path or "/documents/bills/" in path), made
    assert ratelimit.calls_counted(connection_id=connection.pk) - counted == len(made)


@pytest.mark.parametrize("provider", ["xero", "bill_com"])
def test_an_upload_whose_answer_was_lost_is_sent_again_without_a_second_file(
    client, world, sandbox_http, sent, django_capture_on_commit_callbacks, monkeypatch, api_as, provider
):
    connected(client, world, provider)
    item = item_with_receipt(world)
    with monkeypatch.context() as refusing:
        refusing.setattr(SANDBOX_LIMITS[provider], 10)
        publish(world, item, sent, django_capture_on_commit_callbacks)
    uploads_now(monkeypatch)
    set_fault(provider, "lost_answer", count=1)  # the service keeps the file; its answer never comes
    retry(api_as, world, item, django_capture_on_commit_callbacks)
    assert item.attachment_status == AttachmentStatus.FAILED, "no answer: the item cannot know it went"
    [document] = held(provider, item)
    assert len(document["attachments"]) == 1
    retry(api_as, world, item, django_capture_on_commit_callbacks)
    assert item.attachment_status == AttachmentStatus.SENT
    [document] = held(provider, item)
    assert document["attachments"] == ["receipt.pdf"], "the file went twice"


@pytest.mark.parametrize("provider", ["xero", "bill_com"])
def test_a_retried_publish_after_a_refused_upload_never_makes_a_second_document(
    client, world, sandbox_http, sent, django_capture_on_commit_callbacks, monkeypatch, api_as, provider
):
    connected(client, world, provider)
    item = item_with_receipt(world)
    monkeypatch.setattr(SANDBOX_LIMITS[provider], 10)
    publish(world, item, sent, django_capture_on_commit_callbacks)
    first = item.external_id
    assert item.state == ItemState.PUBLISHED and first and item.attachment_status == AttachmentStatus.FAILED
    # The job runs again as if its success had not been recorded (a worker killed before its commit).
    job = PublishJob.objects.for_business(world.a).get()
    PublishJob.objects.for_business(world.a).filter(pk=job.pk).update(
        status=PublishJobStatus.PENDING, lease_expires_at=None
    )
    Item.objects.for_business(world.a).filter(pk=item.pk).update(state=ItemState.QUEUED, external_id="")
    job_run(job_id=job.pk)
    item.refresh_from_db()
    assert item.state == ItemState.PUBLISHED and item.external_id == first
    assert item.attachment_status == AttachmentStatus.FAILED, "still refused, and said so"
    assert len(held(provider, item)) == 1, f"{provider} got a second document"
    monkeypatch.undo()
    uploads_now(monkeypatch)
    retry(api_as, world, item, django_capture_on_commit_callbacks)
    [document] = held(provider, item)
    assert item.attachment_status == AttachmentStatus.SENT and len(document["attachments"]) == 1


def test_xeros_publish_many_makes_the_documents_and_uploads_nothing(client, world, sandbox_http, requests_seen):
    """The upload is the attachment phase's, once the ids are saved: a batch's request makes the documents only."""
    from integrations.providers.document import Attachment
    from tests.integrations.xero.conftest import document

    xero = oauth_connect(client, world.a, world.users["business_admin"], "xero")
    receipt = Attachment(filename="bill.pdf", content_type="application/pdf", content=PDF)
    docs = [document(xero, attachment=receipt), document(xero, attachment=receipt)]
    before = len(requests_seen)
    refs = registry.get("xero").client(xero).publish_many(docs)
    assert all(ref.external_id for ref in refs), refs
    assert not [r for r in requests_seen[before:] if "/Attachments/" in r[1]], "uploaded inside the publish"


@pytest.mark.parametrize("key", ["xero", "bill_com", "quickbooks_online"])
def test_each_attachment_counts_one_call_in_the_connections_throughput(key):
    provider = registry.get(key)
    per_request = provider.request_size or provider.batch_size
    with_files = calls_per_document(provider, attachment_share=1.0)
    assert with_files == pytest.approx(1 / per_request + 1 + 0.02)
    assert with_files - calls_per_document(provider, attachment_share=0.0) == pytest.approx(1.0)


def test_quickbooks_desktop_keeps_no_attachment_and_the_item_says_so(client, world):
    from integrations.services import publishing_defaults_get
    from publishing.services import item_create
    from tests.integrations.qbwc.fake_web_connector import (
        FakeQuickBooks,
        FakeWebConnector,
        create_web_connector_connection,
    )
    from tests.integrations.qbwc.lists_sync import sync_lists

    connection, password = create_web_connector_connection(business=world.a)
    defaults = publishing_defaults_get(business=world.a)
    defaults.default_publishing_connection = connection
    defaults.save()
    sync_lists(client, connection, password, FakeQuickBooks())
    item = item_create(
        business=world.a,
        actor=world.users["business_admin"],
        kind="cost",
        date="2026-11-02",
        total="120.00",
        category="Office Supplies",
        invoice_number="INV-1",
        contact_name="Paper Co",
    )
    item.attachment.save("receipt.pdf", ContentFile(PDF), save=True)
    assert not items_publish(business=world.a, item_ids=[item.pk], actor=world.users["business_admin"]).errors
    FakeWebConnector(client, "/qbwc/", connection.external_tenant_id, password, quickbooks=FakeQuickBooks()).run()
    item.refresh_from_db()
    assert item.state == ItemState.PUBLISHED
    assert item.attachment_status == AttachmentStatus.KEPT_HERE, "nothing was sent: it must not say so"
    client.force_login(world.users["business_admin"])
    page = client.get(f"/b/{world.a.id}/items/{item.pk}/").content.decode()
    assert "QuickBooks Desktop keeps no attachments; the file stays here." in page
    assert 'data-testid="attachment-warning"' not in page
