# ruff: noqa: F811 (the imported fixture is a parameter of the tests)
"""A batch is sized to what the connection's limits have room for, every call counted; when the day's calls are
spent the connection's jobs wait for the next day, queued, saying so, without spending an attempt (issue 14)."""

import uuid

from django.core.files.base import ContentFile

from integrations.ratelimit import _redis, day_index, next_day_start, provider_slot, used
from publishing.eta import item_waits
from publishing.models import Item, ItemState, PublishJob, PublishJobStatus
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


def test_a_batch_is_shrunk_to_the_calls_left_in_the_minute(
    client,
    world,
    wire,
    messages,
    django_capture_on_commit_callbacks,
):
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    items = _queued(world, messages, django_capture_on_commit_callbacks)
    connection_id = items[0].integration_id
    # Seven calls left: one create request, the supplier's look-up and making (two), reference data, three uploads.
    _fill(connection_id, 53)
    batch_run(job_ids=messages.pop(0))
    jobs = PublishJob.objects.for_business(world.a)
    assert jobs.filter(status=PublishJobStatus.SUCCEEDED).count() == 3
    assert set(jobs.exclude(status=PublishJobStatus.SUCCEEDED).values_list("status", "attempts")) == {
        (PublishJobStatus.PENDING, 0)
    }, "the jobs that did not fit were not claimed and spent no attempt"
    assert wire.count("PUT", "/Invoices") == 1 and sum(1 for m, p, _ in wire.requests if "/Attachments/" in p) == 3
    assert used([connection_id])[str(connection_id)][0] <= 60, "the minute's limit was exceeded"


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
