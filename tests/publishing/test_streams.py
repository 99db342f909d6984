# ruff: noqa: F811 (the imported fixture is a parameter of the tests)
"""Several messages of one connection in flight (PUBLISH_STREAMS_PER_CONNECTION) take disjoint batches, and a batch
the limits refused after its claim is fitted again, not held whole (issue 14: using a limit fully)."""

from datetime import timedelta

from django.utils import timezone

from integrations.ratelimit import _redis, day_index, minute_seconds, provider_slot
from publishing.models import PublishJob, PublishJobStatus
from publishing.worker import NOT_SENT_WAIT_SECONDS, batch_run
from tests.conftest import oauth_connect
from tests.publishing.test_batches import wire  # noqa: F401 (the fixture)
from tests.publishing.test_limits import _fill, _queued


def test_the_first_batches_go_as_parallel_messages(
    client, world, wire, messages, settings, django_capture_on_commit_callbacks
):
    settings.PUBLISH_BATCH_MAX, settings.PUBLISH_STREAMS_PER_CONNECTION = 2, 3
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    _queued(world, messages, django_capture_on_commit_callbacks, n=7, attachments=False)
    assert len(messages) == 3 and len({job_id for ids in messages for job_id in ids}) == 6, "three disjoint batches"


def test_a_message_whose_jobs_another_is_publishing_takes_the_next_due_ones(
    client, world, wire, messages, settings, django_capture_on_commit_callbacks
):
    settings.PUBLISH_BATCH_MAX = 2
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    _queued(world, messages, django_capture_on_commit_callbacks, n=5, attachments=False)
    first = messages[0]
    jobs = PublishJob.objects.for_business(world.a)
    # Another message of the connection claimed these a moment ago (two continuations picked the same batch).
    jobs.filter(pk__in=first).update(
        status=PublishJobStatus.CLAIMED, lease_expires_at=timezone.now() + timedelta(seconds=60), batch_key="other"
    )
    batch_run(job_ids=first)
    published = set(jobs.filter(status=PublishJobStatus.SUCCEEDED).values_list("pk", flat=True))
    assert len(published) == 2 and not published & {j.pk for j in jobs.filter(pk__in=first)}
    assert set(jobs.filter(pk__in=first).values_list("status", flat=True)) == {PublishJobStatus.CLAIMED}


def test_a_batch_the_limits_refused_after_its_claim_looks_again_soon(
    client, world, wire, messages, monkeypatch, django_capture_on_commit_callbacks
):
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    items = _queued(world, messages, django_capture_on_commit_callbacks, n=3)
    # The claim measured room for the whole batch; another message of the connection took the minute since.
    monkeypatch.setattr("publishing.worker.batch_fit", lambda connection, batch: (len(batch), None))
    _fill(items[0].integration_id, 60)
    before = len(wire.requests)
    [retry] = batch_run(job_ids=messages.pop(0))
    assert len(wire.requests) == before, "a call was made beyond the limit"
    assert 0 < retry.delay <= NOT_SENT_WAIT_SECONDS
    jobs = PublishJob.objects.for_business(world.a)
    assert set(jobs.values_list("status", "attempts")) == {(PublishJobStatus.PENDING, 0)}, "nothing was sent"
    assert len(set(jobs.values_list("batch_key", flat=True))) == 1, "one batch still (a replay goes as it was)"


def test_while_another_batch_is_in_flight_a_batch_waits_for_room_worth_a_request(
    client, world, wire, messages, django_capture_on_commit_callbacks, settings
):
    settings.XERO_DAY_LIMIT = 1000
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    items = _queued(world, messages, django_capture_on_commit_callbacks, n=5)
    connection_id = items[0].integration_id
    # Seven calls left today: three of the five documents with their uploads (a create, the supplier's look-up and
    # making, reference data), less the call of the batch in flight.
    _redis().set(f"ratelimit:{connection_id}:day:{day_index()}", 994)
    with provider_slot(connection_id=connection_id, per_minute=60, concurrent=5, calls=1):
        [retry] = batch_run(job_ids=messages.pop(0))
    assert 0 < retry.delay <= minute_seconds() / 20, (
        "it looks again soon: the other batch gives back what it did not spend"
    )
    jobs = PublishJob.objects.for_business(world.a)
    assert set(jobs.values_list("status", "attempts")) == {(PublishJobStatus.PENDING, 0)}, "three would cost a request"
