"""Batches: a worker publishes the jobs of one connection in one create request where the provider has a batch
endpoint (Xero's PUT of many documents, QuickBooks Online's batch, Bill.com's bulk bills), and each item
still gets its own answer, exactly one document, and its own error."""

from datetime import timedelta

import httpx
import pytest
from django.utils import timezone

from integrations import http
from integrations.inprocess import InProcessProvider
from integrations.sandbox import selectors as sandbox
from integrations.sandbox.services import set_fault
from integrations.services import publishing_defaults_set
from publishing.models import Item, ItemState, PublishAttempt, PublishJob, PublishJobStatus
from publishing.pipeline import drain_continue, items_publish, sweep_expired_leases
from publishing.worker import batch_run
from tests.conftest import bill_com_connect, oauth_connect
from tests.publishing.test_pipeline_providers import ready_item
from tests.xero_spec import ValidatingTransport, xero_openapi


class Recording(httpx.BaseTransport):
    """Counts the requests that reach the sandbox, by method and path."""

    def __init__(self, inner: httpx.BaseTransport):
        self.inner = inner
        self.requests: list[tuple[str, str, dict]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((request.method, request.url.path, dict(request.url.params)))
        return self.inner.handle_request(request)

    def count(self, method: str, path_end: str) -> int:
        return sum(1 for m, p, _ in self.requests if m == method and p.endswith(path_end))


@pytest.fixture
def wire(sandbox_http):
    """Provider HTTP into the sandbox, each request counted and every Xero request checked against its spec."""
    xero_openapi()
    checked = ValidatingTransport(httpx.WSGITransport(app=InProcessProvider()))
    recording = Recording(checked)
    http.set_transport(recording)
    yield recording
    assert checked.problems == [], "\n".join(checked.problems)


@pytest.fixture
def messages(monkeypatch):
    """Task messages sent on commit: one list of job ids per message."""
    sent: list[list[str]] = []
    monkeypatch.setattr("publishing.pipeline._send", lambda ids, queue: sent.append(list(ids)))
    return sent


def publish(world, items, messages, capture) -> None:
    with capture(execute=True):
        result = items_publish(
            business=world.a, item_ids=[i.pk for i in items], actor=world.users["business_admin"], queue="publish_bulk"
        )
    assert not result.errors, result.errors


def run_all(messages) -> list:
    """Run every message as a worker would (and the connection's next batch it sends, publishing.tasks), and the
    retries it asks for (due at once), until none is left."""
    retries = []
    while messages:
        ids = messages.pop(0)
        these = batch_run(job_ids=ids)
        retries += these
        drain_continue(job_ids=ids, sent=[retry.job_ids for retry in these])
    return retries


def states(world) -> dict:
    return dict(Item.objects.for_business(world.a).values_list("invoice_number", "state"))


def references(provider: str) -> list[str]:
    return [d["reference"] for d in sandbox.documents_list(provider=provider)]


def test_xero_publishes_a_bulk_selection_in_one_request_each_item_once(
    client, world, wire, messages, django_capture_on_commit_callbacks
):
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    items = [ready_item(world, n=n) for n in range(6)] + [ready_item(world, publish_as="spend_money", n=99)]
    publish(world, items, messages, django_capture_on_commit_callbacks)
    assert len(messages) == 1 and len(messages[0]) == 7, "one message for the connection's batch"
    before = len(wire.requests)
    assert run_all(messages) == []
    assert set(states(world).values()) == {ItemState.PUBLISHED}
    assert sorted(references("xero")) == sorted(str(i.pk) for i in items), "each item exactly once"
    made = wire.requests[before:]
    assert sum(1 for m, p, _ in made if m == "PUT" and p.endswith("/Invoices")) == 1
    assert sum(1 for m, p, _ in made if m == "PUT" and p.endswith("/BankTransactions")) == 1
    assert all(q.get("summarizeErrors") == "false" for m, p, q in made if m == "PUT" and p.endswith("/Invoices"))
    jobs = PublishJob.objects.for_business(world.a)
    assert len({j.batch_key for j in jobs}) == 1 and all(j.status == PublishJobStatus.SUCCEEDED for j in jobs)
    assert PublishAttempt.objects.for_business(world.a).count() == 7


def test_xero_batch_refusals_land_on_their_own_items(client, world, wire, messages, django_capture_on_commit_callbacks):
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    good = [ready_item(world, "sales", n=n) for n in (0, 2)]
    pair = [ready_item(world, "sales", n=1), ready_item(world, "sales", n=1)]  # Xero refuses a second number
    # A rate of the organisation's list that Xero refuses on a sale (it applies to expenses only).
    wrong_tax = ready_item(world, "sales", n=7, tax_rate="20% (VAT on Expenses)")
    publish(world, [*good, *pair, wrong_tax], messages, django_capture_on_commit_callbacks)
    assert run_all(messages) == []
    for item in [*good, *pair, wrong_tax]:
        item.refresh_from_db()
    assert {i.state for i in good} == {ItemState.PUBLISHED}
    [twin] = [i for i in pair if i.state != ItemState.PUBLISHED]
    for item, words in ((twin, "must be unique"), (wrong_tax, "The TaxType code 'INPUT2'")):
        assert item.state == ItemState.READY and item.last_publish_error_kind == "validation"
        assert words in item.last_publish_error, item.last_publish_error
    good = [*good, *(i for i in pair if i is not twin)]
    assert sorted(references("xero")) == sorted(str(i.pk) for i in good)


def test_a_batch_sent_again_after_a_crash_replays_under_its_key(
    client, world, wire, messages, django_capture_on_commit_callbacks, monkeypatch, settings
):
    """kill -9 after Xero answered and before the outcome was recorded: the sweeper sends the same batch again,
    under the same Idempotency-Key, and Xero's replay gives the same invoices: none twice."""
    settings.PUBLISH_STREAMS_PER_CONNECTION = 1  # one message in flight: the order below (test_streams: several)
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    items = [ready_item(world, n=n) for n in range(5)]
    publish(world, items, messages, django_capture_on_commit_callbacks)

    def killed(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr("publishing.worker._record", killed)
    with pytest.raises(SystemExit):
        batch_run(job_ids=messages.pop())
    monkeypatch.undo()
    monkeypatch.setattr("publishing.pipeline._send", lambda ids, queue: messages.append(list(ids)))
    jobs = PublishJob.objects.for_business(world.a)
    assert {j.status for j in jobs} == {PublishJobStatus.CLAIMED}
    first_key = {j.batch_key for j in jobs}
    assert len(references("xero")) == 5
    # A fresh item of the same connection is queued meanwhile: it must not join the unfinished batch.
    late = ready_item(world, n=50)
    publish(world, [late], messages, django_capture_on_commit_callbacks)
    jobs.update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_expired_leases() == 6
    # One message per connection in flight: the dead worker's batch goes again, whole; the late job follows it.
    assert [len(m) for m in messages] == [5], "the batch travels as one message, without the late job"
    puts = wire.count("PUT", "/Invoices")
    run_all(messages)
    assert set(states(world).values()) == {ItemState.PUBLISHED}
    assert sorted(references("xero")) == sorted(str(i.pk) for i in [*items, late]), "an invoice was made twice"
    assert {j.batch_key for j in jobs.exclude(item=late)} == first_key
    assert wire.count("PUT", "/Invoices") == puts + 2  # the replay of the batch, and the late job's own


def test_a_mixed_message_is_split_so_an_unfinished_batch_stays_whole(
    client, world, wire, messages, django_capture_on_commit_callbacks
):
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    items = [ready_item(world, n=n) for n in range(4)]
    publish(world, items, messages, django_capture_on_commit_callbacks)
    ids = messages.pop()
    jobs = PublishJob.objects.for_business(world.a)
    jobs.filter(pk__in=ids[:2]).update(batch_key="a" * 32)  # two of them were claimed together before
    retries = batch_run(job_ids=ids)
    [rest] = retries
    assert rest.delay == 0 and sorted(rest.job_ids) == sorted(ids[2:])
    assert set(jobs.filter(pk__in=ids[:2]).values_list("status", flat=True)) == {PublishJobStatus.SUCCEEDED}
    assert batch_run(job_ids=rest.job_ids) == []
    assert set(states(world).values()) == {ItemState.PUBLISHED}


def test_a_failing_batch_is_retried_whole(client, world, wire, messages, django_capture_on_commit_callbacks):
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    items = [ready_item(world, n=n) for n in range(3)]
    publish(world, items, messages, django_capture_on_commit_callbacks)
    set_fault("xero", "server_error", rate=1.0)
    ids = messages.pop()
    [retry] = batch_run(job_ids=ids)
    assert retry.reason == "transient" and sorted(retry.job_ids) == sorted(ids) and retry.delay >= 0
    jobs = PublishJob.objects.for_business(world.a)
    assert {j.status for j in jobs} == {PublishJobStatus.PENDING} and len({j.not_before for j in jobs}) == 1
    assert set(states(world).values()) == {ItemState.QUEUED}
    set_fault("xero", "none")
    jobs.update(not_before=None)
    assert batch_run(job_ids=retry.job_ids) == []
    assert set(states(world).values()) == {ItemState.PUBLISHED}
    assert len(references("xero")) == 3


def test_quickbooks_online_publishes_thirty_together_in_batch_requests_of_ten(
    client, world, wire, messages, django_capture_on_commit_callbacks, settings
):
    """A worker takes 30 jobs of a company at once and sends them as batch requests of 10 operations (Intuit's
    limit), each under its own requestid; our limiter counts every one of them against the 40 a minute."""
    settings.PUBLISH_STREAMS_PER_CONNECTION = 1  # one message in flight: the order below (test_streams: several)
    from integrations.ratelimit import _redis

    oauth_connect(client, world.a, world.users["business_admin"], "quickbooks_online")
    items = [ready_item(world, n=n, category="Office Expenses") for n in range(32)]
    bad = ready_item(world, n=40, category="999 Nowhere")
    publish(world, items, messages, django_capture_on_commit_callbacks)
    assert [len(m) for m in messages] == [30], "one message per connection in flight, carrying one batch of 30"
    assert run_all(messages) == []
    assert wire.count("POST", "/batch") == 4, "30 jobs in three requests of 10, then the other message's one"
    assert wire.count("POST", "/bill") == 0, "no document went on its own"
    assert sorted(references("quickbooks_online")) == sorted(str(i.pk) for i in items)
    # A category the company's chart does not have is refused before publishing, naming it (issue 10).
    refused = items_publish(business=world.a, item_ids=[bad.pk], actor=world.users["business_admin"])
    assert refused.errors[0]["code"] == "not_ready" and "999 Nowhere" in refused.errors[0]["detail"]
    keys = [q["requestid"] for m, p, q in wire.requests if p.endswith("/batch")]
    assert len(set(keys)) == 4 and all(len(k) <= 50 for k in keys)
    assert _redis().zcard(f"ratelimit:{items[0].integration_id}:batch") == 4


def test_quickbooks_online_batch_refusal_of_one_operation(
    client, world, wire, messages, django_capture_on_commit_callbacks
):
    """A fault on one operation of a batch (here a vendor that the ledger made inactive) is that item's."""
    oauth_connect(client, world.a, world.users["business_admin"], "quickbooks_online")
    items = [ready_item(world, n=n, category="Office Expenses") for n in range(3)]
    publish(world, items, messages, django_capture_on_commit_callbacks)
    from integrations.providers import lookups as contacts

    # The cached vendor id of the supplier points at nothing in the ledger: QuickBooks answers with a Fault.
    connection = items[0].integration
    contacts.cached_lookup(connection.pk, "Vendor", "Office Supplies Co", lambda: "424242")
    assert run_all(messages) == []
    for item in items:
        item.refresh_from_db()
        assert item.state == ItemState.READY and item.last_publish_error_kind == "validation"
        assert "Invalid Reference Id" in item.last_publish_error or "424242" in item.last_publish_error


@pytest.fixture
def bill_com(client, world):
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    connection = bill_com_connect(world.a, world.users["business_admin"])
    publishing_defaults_set(business=world.a, actor=None, default_publishing_connection=connection.id)
    return connection


def test_bill_com_makes_a_selection_with_one_bulk_request(
    client, world, wire, bill_com, messages, django_capture_on_commit_callbacks
):
    items = [ready_item(world, n=n) for n in range(5)]
    publish(world, items, messages, django_capture_on_commit_callbacks)
    assert run_all(messages) == []
    assert wire.count("POST", "/bills/bulk") == 1 and wire.count("POST", "/v3/bills") == 0
    assert wire.count("GET", "/v3/bills") == 0, "no look-up for bills that no attempt can have made"
    assert sorted(references("bill_com")) == sorted(str(i.pk) for i in items)
    assert set(states(world).values()) == {ItemState.PUBLISHED}


def test_bill_com_refused_bulk_goes_one_by_one_so_the_refusal_is_the_items_own(
    client, world, wire, bill_com, messages, django_capture_on_commit_callbacks, monkeypatch
):
    items = [ready_item(world, n=n) for n in range(3)]
    broken = ready_item(world, n=9)
    from integrations.providers.bill_com.client import BillComClient

    body_of = BillComClient.bill_body

    def no_lines_for_broken(self, doc):
        body = body_of(self, doc)
        if doc.reference == str(broken.pk):
            body["billLineItems"] = []
        return body

    monkeypatch.setattr(BillComClient, "bill_body", no_lines_for_broken)
    publish(world, [*items, broken], messages, django_capture_on_commit_callbacks)
    assert run_all(messages) == []
    assert wire.count("POST", "/bills/bulk") == 1 and wire.count("POST", "/v3/bills") == 4
    assert sorted(references("bill_com")) == sorted(str(i.pk) for i in items), "all or none, then one by one"
    broken.refresh_from_db()
    assert broken.state == ItemState.READY and "line" in broken.last_publish_error


def test_bill_com_batch_sent_again_looks_up_instead_of_making_twice(
    client, world, wire, bill_com, messages, django_capture_on_commit_callbacks, monkeypatch
):
    items = [ready_item(world, n=n) for n in range(4)]
    publish(world, items, messages, django_capture_on_commit_callbacks)
    monkeypatch.setattr("publishing.worker._record", lambda *a, **k: (_ for _ in ()).throw(SystemExit("killed")))
    ids = messages.pop()
    with pytest.raises(SystemExit):
        batch_run(job_ids=ids)
    monkeypatch.undo()
    PublishJob.objects.for_business(world.a).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert batch_run(job_ids=ids) == []
    assert sorted(references("bill_com")) == sorted(str(i.pk) for i in items), "a bill was made twice"
    assert wire.count("POST", "/bills/bulk") == 1
    assert set(states(world).values()) == {ItemState.PUBLISHED}


def test_the_claim_reads_jobs_by_key_and_the_connection_once(
    client, world, wire, messages, django_capture_on_commit_callbacks, monkeypatch
):
    """The claim asks for its jobs by primary key alone: with their status in the query too, PostgreSQL may walk
    the partial index of every open job (thousands during a bulk publish, most of them dead rows until vacuum)
    instead of fetching a few rows. The connection, whose credentials are decrypted on reading, is read once."""
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from dext_connections import crypto
    from publishing.worker import _claim

    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    items = [ready_item(world, n=n) for n in range(5)]
    publish(world, items, messages, django_capture_on_commit_callbacks)
    decrypted = []
    real = crypto.decrypt_text
    monkeypatch.setattr(crypto, "decrypt_text", lambda text: decrypted.append(1) or real(text))
    with CaptureQueriesContext(db) as statements:
        batch, retries = _claim(messages.pop())
    assert len(batch) == 5 and retries == []
    [select] = [q["sql"] for q in statements if "SKIP LOCKED" in q["sql"]]
    assert '"publishing_publishjob"."status"' not in select.split("WHERE", 1)[1]
    assert sum('FROM "integrations_connection"' in q["sql"] for q in statements) == 1
    assert len(decrypted) == 1
    assert {id(job.connection) for job in batch} == {id(batch[0].connection)}


def test_json_rows_are_bulk_inserted_as_values_not_unnest(world):
    """Django inserts many rows as one UNNEST of an array per column, and psycopg escapes each JSON document of
    such an array in Python, slower than the VALUES form; our JSONField opts out."""
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    from integrations.sandbox.models import Document, Organisation

    organisation = Organisation.objects.create(
        provider="xero", external_id="json-org", name="Org", currency="GBP", position=9, created_at=timezone.now()
    )
    rows = [
        Document(
            provider="xero",
            organisation=organisation,
            external_id=f"doc-{n}",
            type="ACCPAY",
            reference=f"ref-{n}",
            total=1,
            currency="GBP",
            received={"Reference": f'"quoted" {n}'},
            body={"Lines": [{"Description": 'say "hi"\\n'}]},
            created_at=timezone.now(),
            updated_at=timezone.now(),
        )
        for n in range(3)
    ]
    with CaptureQueriesContext(db) as statements:
        Document.objects.bulk_create(rows)
    [insert] = [q["sql"] for q in statements if q["sql"].startswith("INSERT")]
    assert "UNNEST" not in insert.upper()
    stored = Document.objects.get(external_id="doc-2")
    assert stored.received == {"Reference": '"quoted" 2'} and stored.body == {"Lines": [{"Description": 'say "hi"\\n'}]}


def test_publishing_many_items_reads_their_connection_once(
    client, world, wire, messages, django_capture_on_commit_callbacks, monkeypatch
):
    from dext_connections import crypto

    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    items = [ready_item(world, n=n) for n in range(6)]
    decrypted = []
    real = crypto.decrypt_text
    monkeypatch.setattr(crypto, "decrypt_text", lambda text: decrypted.append(1) or real(text))
    publish(world, items, messages, django_capture_on_commit_callbacks)
    assert len(decrypted) == 1, "the connection's credentials were decrypted once per item"
    assert states(world) == {i.invoice_number: ItemState.QUEUED for i in items}


def test_the_publish_tables_keep_no_index_that_another_one_leads_with(db):
    """Each publish writes an item three times, its job three times and two history rows: an index that a
    composite one already serves would only slow those writes."""
    from django.db import connection as db

    with db.cursor() as cursor:
        cursor.execute(
            "SELECT tablename, indexdef FROM pg_indexes WHERE tablename IN "
            "('publishing_item', 'publishing_itemhistory', 'publishing_publishjob')"
        )
        indexes = cursor.fetchall()
    single = {(t, d.rsplit("(", 1)[1].rstrip(")")) for t, d in indexes if "," not in d.rsplit("(", 1)[1]}
    assert ("publishing_item", "business_id") not in single
    assert ("publishing_itemhistory", "item_id") not in single
    assert ("publishing_publishjob", "connection_id") not in single
    leading = {(t, d.rsplit("(", 1)[1].split(",")[0]) for t, d in indexes}
    assert {("publishing_item", "business_id"), ("publishing_itemhistory", "item_id")} <= leading
    assert ("publishing_publishjob", "connection_id") in leading
