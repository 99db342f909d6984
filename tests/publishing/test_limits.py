# ruff: noqa: F811 (the imported fixture is a parameter of the tests)
"""A batch is sized to what the connection's limits have room for, every call counted; when the day's calls are
spent the connection's jobs wait for the next day, queued, saying so, without spending an attempt (issue 14)."""

import uuid
from datetime import timedelta

from django.core.files.base import ContentFile
from django.utils import timezone

from integrations.providers.base import DayLimitReached, OwnLimitReached
from integrations.ratelimit import _redis, day_index, next_day_start, provider_slot, used
from publishing.eta import item_waits
from publishing.limits import batch_fit, uploads_waiting
from publishing.models import AttachmentStatus, Item, ItemState, PublishJob, PublishJobStatus
from publishing.pipeline import items_publish
from publishing.worker import batch_run
from tests.conftest import oauth_connect
from tests.publishing.conftest import PDF
from tests.publishing.test_batches import wire  # noqa: F401 (the fixture)
from tests.publishing.test_pipeline_providers import ready_item


def _queued(world, messages, capture, n=5, attachments=True):
    items = []
    for k in range(n):
        item = ready_item(world, n=k)
        if attachments:
            item.attachment.save(f"receipt-{k}.pdf", ContentFile(PDF), save=True)
        items.append(item)
    with capture(execute=True):
        result = items_publish(business=world.a, item_ids=[i.pk for i in items], actor=None, queue="publish_bulk")
    assert not result.errors
    return items


def _fill(connection_id, calls: int) -> None:
    """``calls`` made this minute in all: those already counted (the list sync at connect) and the rest by someone
    else (another worker)."""
    already = used([connection_id])[str(connection_id)][0]
    assert already <= calls
    if calls > already:
        with provider_slot(connection_id=connection_id, per_minute=60, concurrent=0, calls=calls - already):
            pass


def test_documents_go_in_one_request_and_their_uploads_follow_as_the_window_has_room(
    client,
    world,
    wire,
    messages,
    django_capture_on_commit_callbacks,
):
    """Seven calls left in the minute: the five documents go in one create request (the window need not hold their
    five uploads as well, which would shrink the batch to three and spend a create request on every few), their
    uploads take what is left, and the others wait, pending, for the window: never over the limit."""
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    items = _queued(world, messages, django_capture_on_commit_callbacks)
    connection_id = items[0].integration_id
    _fill(connection_id, 53)
    batch_run(job_ids=messages.pop(0))
    jobs = PublishJob.objects.for_business(world.a)
    assert jobs.filter(status=PublishJobStatus.SUCCEEDED).count() == 5
    assert wire.count("PUT", "/Invoices") == 1
    uploads = sum(1 for m, p, _ in wire.requests if "/Attachments/" in p)
    statuses = list(Item.objects.for_business(world.a).values_list("attachment_status", flat=True))
    assert 0 < uploads < 5 and statuses.count(AttachmentStatus.SENT) == uploads
    assert statuses.count(AttachmentStatus.PENDING) == 5 - uploads, "an upload the window had no room for waits"
    assert used([connection_id])[str(connection_id)][0] == 60, "the minute was used to its end, and not beyond"


def _waiting_uploads(world, connection, n: int, *, age: float = 0.0) -> None:
    """``n`` documents of the connection made lately whose attachments wait for their upload."""
    at = timezone.now() - timedelta(seconds=age)
    for k in range(n):
        item = ready_item(world, n=100 + k)
        Item.objects.for_business(world.a).filter(pk=item.pk).update(
            state=ItemState.PUBLISHED,
            integration=connection,
            attachment_status=AttachmentStatus.PENDING,
            attachment_status_at=at,
        )


def _fresh_jobs(world, messages, capture, n: int) -> list[PublishJob]:
    _queued(world, messages, capture, n=n)
    return list(PublishJob.objects.for_business(world.a).select_related("item", "connection").order_by("created_at"))


def test_a_new_batch_waits_for_the_uploads_already_waiting(
    client, world, wire, messages, django_capture_on_commit_callbacks
):
    """57 uploads wait and the window is empty: a create request of five more documents (four calls with its
    look-ups) does not fit beside them, so the batch waits rather than pile more uploads behind them."""
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    jobs = _fresh_jobs(world, messages, django_capture_on_commit_callbacks, 5)
    connection = jobs[0].connection
    _redis().delete(f"ratelimit:{connection.pk}:minute")
    assert batch_fit(connection, jobs)[0] == 5, "with nothing waiting the whole batch fits"
    _waiting_uploads(world, connection, 57)
    fits, wait = batch_fit(connection, jobs)
    assert fits == 0 and isinstance(wait, OwnLimitReached) and not isinstance(wait, DayLimitReached)


def test_uploads_left_behind_by_a_lost_task_stop_holding_back_new_batches(
    client, world, wire, messages, django_capture_on_commit_callbacks, settings
):
    """An upload whose task was lost stays pending until the sweeper sends it again: past its lease it no longer
    counts as waiting, so the connection's publishing never stalls behind it."""
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    jobs = _fresh_jobs(world, messages, django_capture_on_commit_callbacks, 5)
    connection = jobs[0].connection
    _redis().delete(f"ratelimit:{connection.pk}:minute")
    _waiting_uploads(world, connection, 55, age=settings.PUBLISH_LEASE_SECONDS + 1)
    assert uploads_waiting(connection) == 0
    assert batch_fit(connection, jobs)[0] == 5


def test_the_day_must_hold_the_waiting_uploads_and_a_document_with_its_own(
    client, world, wire, messages, django_capture_on_commit_callbacks, settings
):
    """Ten calls left today and eight uploads waiting: a document and its upload no longer fit the day, so the
    jobs wait for the next day rather than make a document whose file could not follow until tomorrow."""
    settings.XERO_DAY_LIMIT = 1000
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    jobs = _fresh_jobs(world, messages, django_capture_on_commit_callbacks, 3)
    connection = jobs[0].connection
    _redis().delete(f"ratelimit:{connection.pk}:minute")
    _redis().set(f"ratelimit:{connection.pk}:day:{day_index()}", 990)
    _waiting_uploads(world, connection, 8)
    fits, wait = batch_fit(connection, jobs)
    assert fits == 0 and isinstance(wait, DayLimitReached) and wait.resumes_at == next_day_start()


def test_nothing_is_claimed_while_the_minute_is_full(
    client,
    world,
    wire,
    messages,
    django_capture_on_commit_callbacks,
):
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    items = _queued(world, messages, django_capture_on_commit_callbacks, n=2)
    _fill(items[0].integration_id, 60)
    before = len(wire.requests)
    [retry] = batch_run(job_ids=messages.pop(0))
    assert 0 < retry.delay <= 60 and sorted(retry.job_ids) == sorted(
        str(j.pk) for j in PublishJob.objects.for_business(world.a)
    )
    assert len(wire.requests) == before, "a call was made beyond the limit"
    jobs = PublishJob.objects.for_business(world.a)
    assert set(jobs.values_list("status", "attempts")) == {(PublishJobStatus.PENDING, 0)}


def test_every_call_of_a_batch_is_counted_look_ups_and_attachments_too(
    client,
    world,
    wire,
    messages,
    django_capture_on_commit_callbacks,
):
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    items = _queued(world, messages, django_capture_on_commit_callbacks, n=4)
    connection_id = items[0].integration_id
    before, counted = len(wire.requests), used([connection_id])[str(connection_id)][0]
    batch_run(job_ids=messages.pop(0))
    api_calls = [r for r in wire.requests[before:] if "/api.xro/" in r[1]]
    # A create and four uploads, plus look-ups.
    assert used([connection_id])[str(connection_id)][0] - counted == len(api_calls) >= 5


def test_when_the_day_is_spent_jobs_wait_for_the_next_day_and_say_so(
    client,
    world,
    wire,
    messages,
    django_capture_on_commit_callbacks,
    settings,
):
    settings.XERO_DAY_LIMIT = 1000
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    items = _queued(world, messages, django_capture_on_commit_callbacks, n=3)
    connection_id = items[0].integration_id
    _redis().set(f"ratelimit:{connection_id}:day:{day_index()}", 1000)
    before = len(wire.requests)
    retries = batch_run(job_ids=messages.pop(0))
    assert retries == [], "the wait is the sweeper's: the jobs' lease ends when the day renews"
    assert len(wire.requests) == before
    resumes = next_day_start()
    jobs = PublishJob.objects.for_business(world.a)
    assert {(j.status, j.attempts, j.not_before) for j in jobs} == {(PublishJobStatus.PENDING, 0, resumes)}
    assert all(j.lease_expires_at > resumes for j in jobs), "the sweeper would send them before the day renews"
    assert set(Item.objects.for_business(world.a).values_list("state", flat=True)) == {ItemState.QUEUED}
    message = f"Waiting for Xero's daily limit; resumes at {resumes:%H:%M} UTC"
    assert item_waits(world.a.pk, [i.pk for i in items]) == {str(i.pk): message for i in items}


def test_the_sandbox_refuses_past_the_day_and_the_batch_waits_without_failing(
    client,
    world,
    wire,
    messages,
    django_capture_on_commit_callbacks,
    settings,
):
    """The sandbox enforces Xero's day (429, X-Rate-Limit-Problem: day) even when our count was lost (Redis
    emptied): the jobs wait for the next day; none fails, none spends an attempt."""
    from integrations.sandbox import counters
    from integrations.sandbox.models import Organisation, RateCounter

    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    items = _queued(world, messages, django_capture_on_commit_callbacks, n=2)
    settings.XERO_DAY_LIMIT = 20  # the org has made 20 calls today already, which our counter never saw
    tenant = Organisation.objects.get(external_id=items[0].integration.external_tenant_id).external_id
    RateCounter.objects.filter(key=f"xero:day:{tenant}").delete()
    for _ in range(20):
        counters.calls_count([counters.Limit(f"xero:day:{tenant}", 86_400, 10**6, "day")])
    batch_run(job_ids=messages.pop(0))
    jobs = PublishJob.objects.for_business(world.a)
    assert {(j.status, j.attempts) for j in jobs} == {(PublishJobStatus.PENDING, 0)}
    assert set(Item.objects.for_business(world.a).values_list("state", flat=True)) == {ItemState.QUEUED}
    assert all(j.not_before == next_day_start() for j in jobs)
    assert used([items[0].integration_id])[str(items[0].integration_id)][1] == 20, "the day is spent in our count"
    assert uuid.UUID(str(items[0].integration_id))
