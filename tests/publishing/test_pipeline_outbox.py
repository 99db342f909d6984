"""The outbox, the sweeper and the shared rate limits (real PostgreSQL and Redis)."""

import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.providers.base import RateLimited
from integrations.ratelimit import provider_slot
from publishing.models import ItemState, PublishJob, PublishJobStatus
from publishing.pipeline import items_publish, sweep_expired_leases
from publishing.services import item_create
from publishing.worker import backoff_delay


@pytest.fixture
def sent(monkeypatch):
    """Task messages sent on commit (the broker itself is exercised by the reliability tests)."""
    messages = []
    monkeypatch.setattr("publishing.pipeline._send", lambda ids, queue: messages.extend((i, queue) for i in ids))
    return messages


def _ready_cost(world, **extra):
    fields = {"date": "2026-11-02", "total": "10.00", "category": "429"} | extra
    return item_create(business=world.a, actor=None, kind="cost", contact_name="Paper Co", **fields)


def test_publish_writes_state_and_job_in_one_transaction_and_sends_on_commit(
    world, connect, sent, django_capture_on_commit_callbacks
):
    connect(world.a, "xero")
    item = _ready_cost(world)
    with django_capture_on_commit_callbacks(execute=True):
        result = items_publish(business=world.a, item_ids=[item.id], actor=world.users["business_admin"])
        assert sent == [], "the task must not be sent before the transaction commits"
    assert result.updated == 1
    job = PublishJob.objects.for_business(world.a).get()
    item.refresh_from_db()
    assert item.state == ItemState.QUEUED
    assert job.status == PublishJobStatus.PENDING and len(job.idempotency_key) == 32
    assert job.lease_expires_at is not None, "a lost message must be found by the sweeper"
    assert sent == [(str(job.id), "publish_interactive")]


def test_publishing_twice_while_queued_is_a_no_op(world, connect, sent, django_capture_on_commit_callbacks):
    connect(world.a, "xero")
    item = _ready_cost(world)
    with django_capture_on_commit_callbacks(execute=True):
        items_publish(business=world.a, item_ids=[item.id], actor=None)
        second = items_publish(business=world.a, item_ids=[item.id], actor=None)
    assert second.updated == 0 and second.errors == []
    assert PublishJob.objects.for_business(world.a).count() == 1


def test_publish_refusals(world, connect, sent):
    incomplete = item_create(business=world.a, actor=None, kind="cost", contact_name="Paper Co")
    nowhere = _ready_cost(world)
    result = items_publish(business=world.a, item_ids=[incomplete.id, nowhere.id, uuid.uuid4()], actor=None)
    codes = {e["code"] for e in result.errors}
    assert codes == {"not_ready", "no_connection", "not_found"}
    not_ready = next(e for e in result.errors if e["code"] == "not_ready")
    assert set(not_ready["missing"]) == {"date", "total", "category"}


def test_another_tenants_item_is_not_found_and_untouched(world, connect, sent):
    connect(world.b, "xero")
    theirs = item_create(
        business=world.b, actor=None, kind="cost", contact_name="X", date="2026-11-01", total="1", category="429"
    )  # coded from B's Xero chart: ready
    result = items_publish(business=world.a, item_ids=[theirs.id], actor=None)
    assert [e["code"] for e in result.errors] == ["not_found"]
    theirs.refresh_from_db()
    assert theirs.state == ItemState.READY, "A's publish touched B's item"


def test_sweeper_resends_jobs_whose_lease_expired(world, connect, sent, django_capture_on_commit_callbacks):
    connect(world.a, "xero")
    item = _ready_cost(world)
    with django_capture_on_commit_callbacks(execute=True):
        items_publish(business=world.a, item_ids=[item.id], actor=None, queue="publish_bulk")
    job = PublishJob.objects.for_business(world.a).get()
    sent.clear()
    assert sweep_expired_leases() == 0, "a fresh lease must not be swept"
    PublishJob.objects.for_business(world.a).filter(pk=job.pk).update(
        status=PublishJobStatus.CLAIMED, lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert sweep_expired_leases() == 1
    job.refresh_from_db()
    assert job.status == PublishJobStatus.PENDING and job.lease_expires_at > timezone.now()
    assert sent == [(str(job.id), "publish_bulk")]


def test_backoff_is_capped_exponential_with_jitter(settings):
    settings.PUBLISH_BACKOFF_BASE_SECONDS = 2
    settings.PUBLISH_BACKOFF_MAX_SECONDS = 60
    samples = [backoff_delay(10) for _ in range(200)]
    assert max(samples) <= 60 and min(samples) >= 0
    assert len({round(s, 3) for s in samples}) > 100, "no jitter"
    assert max(backoff_delay(1) for _ in range(100)) <= 2


def test_rate_limit_concurrency_is_shared_and_released():
    connection_id = uuid.uuid4()
    slot = lambda: provider_slot(connection_id=connection_id, per_minute=0, concurrent=2)  # noqa: E731
    with slot():
        with slot(), pytest.raises(RateLimited), slot():
            pass
        with slot():
            pass  # the second slot was released


def test_rate_limit_per_minute_across_threads():
    connection_id = uuid.uuid4()
    taken, refused = [], []

    def call():
        try:
            with provider_slot(connection_id=connection_id, per_minute=60, concurrent=0):
                taken.append(1)
        except RateLimited as exc:
            refused.append(exc.retry_after)

    threads = [threading.Thread(target=call) for _ in range(80)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len(taken) == 60 and len(refused) == 20
    assert all(0 < wait <= 60 for wait in refused)


def test_a_slot_for_several_requests_counts_them_all_or_waits():
    connection_id = uuid.uuid4()
    with provider_slot(connection_id=connection_id, per_minute=5, concurrent=0, calls=3):
        pass
    with (
        pytest.raises(RateLimited) as refused,
        provider_slot(connection_id=connection_id, per_minute=5, concurrent=0, calls=3),
    ):
        pass
    assert 0 < refused.value.retry_after <= 60, "three more do not fit the minute's five"
    with provider_slot(connection_id=connection_id, per_minute=5, concurrent=0, calls=2):
        pass
    with pytest.raises(RateLimited), provider_slot(connection_id=connection_id, per_minute=5, concurrent=0):
        pass


def test_a_killed_workers_slot_expires_by_itself():
    connection_id = uuid.uuid4()
    holder = provider_slot(connection_id=connection_id, per_minute=0, concurrent=1, slot_seconds=1)
    holder.__enter__()  # never exits, like a worker killed mid-call
    with pytest.raises(RateLimited), provider_slot(connection_id=connection_id, per_minute=0, concurrent=1):
        pass
    time.sleep(1.1)
    with provider_slot(connection_id=connection_id, per_minute=0, concurrent=1):
        pass
