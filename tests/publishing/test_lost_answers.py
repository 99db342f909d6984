"""A provider made the document (or took the attachment) and its answer was lost: the retry finds what was made
and finishes the job, so each item ends with one document and its attachment once. In process: the sandbox's
``lost_answer`` fault is armed for one chosen request, whose answer the transport then loses."""

import httpx
import pytest
from django.core.files.base import ContentFile

from integrations import http
from integrations.inprocess import InProcessProvider
from integrations.sandbox import selectors as sandbox
from integrations.sandbox.services import set_fault
from publishing.models import Item, ItemState, PublishJob
from publishing.pipeline import drain_continue
from publishing.worker import batch_run
from tests.conftest import oauth_connect
from tests.publishing.conftest import PDF
from tests.publishing.test_batches import publish
from tests.publishing.test_pipeline_providers import ready_item


class LoseOnce(httpx.BaseTransport):
    """Into the sandbox in process; the answer of the first ``method`` request whose path holds ``part`` is lost
    (the sandbox does the work, then the connection drops)."""

    def __init__(self, provider: str, method: str, part: str):
        self.inner = httpx.WSGITransport(app=InProcessProvider())
        self.provider, self.method, self.part = provider, method, part
        self.lost: list[str] = []
        # Look-ups of a document made before: by our reference (Xero's where, QuickBooks' query), or a Xero bill
        # among its supplier's bills (ContactIDs: Xero keeps no Reference on bills).
        self.looked_up = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        query = str(request.url.params.get("where", "")) + str(request.url.params.get("query", ""))
        query += str(request.url.params.get("ContactIDs", "") and "ContactIDs")
        if request.method == "GET" and any(
            k in query for k in ("Reference==", "from Bill", "from Purchase", "ContactIDs")
        ):
            self.looked_up += 1
        if not self.lost and request.method == self.method and self.part in request.url.path:
            self.lost.append(request.url.path)
            set_fault(self.provider, "lost_answer", count=1)
        return self.inner.handle_request(request)


@pytest.fixture
def lose(sandbox_http):
    def arm(provider: str, method: str, part: str) -> LoseOnce:
        transport = LoseOnce(provider, method, part)
        http.set_transport(transport)
        return transport

    return arm


def with_attachments(world, count: int, **extra) -> list[Item]:
    items = []
    for n in range(count):
        item = ready_item(world, n=n, **extra)
        item.attachment.save(f"receipt-{n}.pdf", ContentFile(PDF), save=True)
        items.append(item)
    return items


def run_until_done(messages) -> None:
    """Every message, and every retry at once (its backoff skipped), until no job is open."""
    ids = [job_id for message in messages for job_id in message]
    messages.clear()
    for _ in range(10):
        open_jobs = PublishJob.all_tenants.filter(pk__in=ids, status__in=("pending", "claimed"))
        if not open_jobs.exists():
            return
        open_jobs.update(not_before=None, lease_expires_at=None)
        run = [str(pk) for pk in open_jobs.values_list("pk", flat=True)]
        batch_run(job_ids=run)
        drain_continue(job_ids=run, sent=[])  # as the task does: the connection's next message, or its token back
        ids += [job_id for message in messages for job_id in message]
        messages.clear()
    raise AssertionError("jobs still open after ten rounds")


def attachments_by_reference(provider: str) -> list[tuple[str, int]]:
    """(reference, attachments) of every document the provider holds: a document made twice shows twice."""
    return sorted((d["reference"], len(d["attachments"])) for d in sandbox.documents_list(provider=provider))


def assert_each_once_with_its_attachment(world, items, provider):
    assert set(Item.objects.for_business(world.a).values_list("state", flat=True)) == {ItemState.PUBLISHED}
    assert attachments_by_reference(provider) == sorted((str(i.pk), 1) for i in items)


def test_bill_com_bulk_bills_carry_their_attachments(
    client, world, sandbox_http, bill_com, messages, django_capture_on_commit_callbacks
):
    items = with_attachments(world, 3)
    publish(world, items, messages, django_capture_on_commit_callbacks)
    run_until_done(messages)
    assert_each_once_with_its_attachment(world, items, "bill_com")
    assert PublishJob.objects.for_business(world.a).filter(attempts=1).count() == 3, "an attempt failed"


@pytest.mark.parametrize("lost", [("POST", "/bills/bulk"), ("POST", "/documents/bills/")])
def test_bill_com_a_lost_answer_then_the_bills_found_again_get_their_attachment_once(
    client, world, lose, bill_com, messages, django_capture_on_commit_callbacks, lost
):
    items = with_attachments(world, 3)
    transport = lose("bill_com", *lost)
    publish(world, items, messages, django_capture_on_commit_callbacks)
    run_until_done(messages)
    assert transport.lost, "no answer was lost"
    assert_each_once_with_its_attachment(world, items, "bill_com")


@pytest.mark.parametrize("lost", [("POST", "/batch"), ("POST", "/upload")])
def test_quickbooks_online_a_lost_answer_makes_no_second_attachment(
    client, world, lose, messages, django_capture_on_commit_callbacks, lost
):
    oauth_connect(client, world.a, world.users["business_admin"], "quickbooks_online")
    items = with_attachments(world, 3, category="Office Expenses")
    transport = lose("quickbooks_online", *lost)
    publish(world, items, messages, django_capture_on_commit_callbacks)
    run_until_done(messages)
    assert transport.lost, "no answer was lost"
    assert_each_once_with_its_attachment(world, items, "quickbooks_online")


@pytest.mark.parametrize("lost", [("PUT", "/Invoices"), ("PUT", "/Attachments/")])
def test_xero_a_lost_answer_makes_no_second_invoice_or_attachment(
    client, world, lose, messages, django_capture_on_commit_callbacks, lost
):
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    items = with_attachments(world, 3)
    transport = lose("xero", *lost)
    publish(world, items, messages, django_capture_on_commit_callbacks)
    run_until_done(messages)
    assert transport.lost, "no answer was lost"
    assert_each_once_with_its_attachment(world, items, "xero")


@pytest.mark.parametrize(
    ("provider", "method", "part", "extra"),
    [
        ("xero", "PUT", "/Invoices", {}),
        ("xero", "PUT", "/BankTransactions", {"publish_as": "spend_money"}),
        ("quickbooks_online", "POST", "/batch", {"category": "Office Expenses"}),
        ("quickbooks_online", "POST", "/batch", {"category": "Office Expenses", "invoice_number": ""}),
    ],
)
def test_published_again_after_giving_up_the_first_document_is_found_not_made_twice(
    client, world, lose, messages, django_capture_on_commit_callbacks, settings, provider, method, part, extra
):
    """The batch's documents were made and its answer lost; the job gave up (one attempt allowed here). Published
    again, in other batches (another request key), each item is found by its reference instead of made again."""
    settings.PUBLISH_MAX_ATTEMPTS = 1
    oauth_connect(client, world.a, world.users["business_admin"], provider)
    items = with_attachments(world, 3, **extra)
    transport = lose(provider, method, part)
    publish(world, items, messages, django_capture_on_commit_callbacks)
    run_until_done(messages)
    assert transport.lost and transport.looked_up == 0, "a first publish looked for an earlier document"
    rows = Item.objects.for_business(world.a).values_list("state", "last_publish_error_kind")
    assert set(rows) == {(ItemState.READY, "transient")}, "the jobs did not give up"
    assert len(sandbox.documents_list(provider=provider)) == 3, "the lost request did not make the documents"

    publish(world, items[:1], messages, django_capture_on_commit_callbacks)
    publish(world, items[1:], messages, django_capture_on_commit_callbacks)
    run_until_done(messages)
    assert transport.looked_up == 3, "each item published again is looked up once"
    assert_each_once_with_its_attachment(world, items, provider)
    made = {d["reference"]: d["id"] for d in sandbox.documents_list(provider=provider)}
    assert {str(i.pk): i.external_id for i in Item.objects.for_business(world.a)} == made
