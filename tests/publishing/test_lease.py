"""A worker renews its batch's lease (and its rate-limit slot) while it is still calling the provider, so that the
sweeper does not hand a slow call's jobs to another worker; it stops when the call ends."""

import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import connection as db
from django.utils import timezone

from integrations.providers.base import RateLimited
from integrations.ratelimit import provider_slot
from integrations.sandbox import selectors as sandbox
from integrations.sandbox.services import set_fault
from publishing.lease import LeaseKeeper
from publishing.models import PublishJob, PublishJobStatus
from publishing.pipeline import items_publish, sweep_expired_leases
from publishing.worker import _claim, batch_run
from tests.conftest import oauth_connect
from tests.reliability.rig import seed_items

LEASE = 1  # second (a whole number, as the setting is): renewed every third of it


@pytest.fixture
def claimed(transactional_db, world, connect, settings, monkeypatch):
    """Two jobs of one Xero connection, claimed together under one short lease."""
    settings.PUBLISH_LEASE_SECONDS = LEASE
    monkeypatch.setattr("publishing.pipeline._send", lambda ids, queue: None)
    connect(world.a, "xero")
    items = seed_items(world.a, 2, provider="xero")
    items_publish(business=world.a, item_ids=[i.pk for i in items], actor=None)
    batch, _ = _claim(list(PublishJob.objects.for_business(world.a).values_list("pk", flat=True)))
    assert len(batch) == 2
    return batch


def leases(batch) -> dict:
    return dict(PublishJob.objects.for_business(batch[0].business_id).values_list("pk", "lease_expires_at"))


def test_the_lease_is_renewed_while_the_call_runs_and_no_longer_after(claimed):
    first = claimed[0].lease_expires_at
    renewed = []
    with LeaseKeeper(claimed) as keeper:
        keeper.also(renewed.append)
        time.sleep(LEASE * 2.5)  # well past the first lease
        assert min(leases(claimed).values()) > timezone.now(), "the lease ran out while the call was running"
    assert keeper.renewals >= 3 and renewed[:1] == [LEASE]
    held = leases(claimed)
    assert min(held.values()) > first
    time.sleep(LEASE)
    assert leases(claimed) == held, "the lease was renewed after the call ended"


def test_jobs_no_longer_ours_are_not_renewed(claimed):
    cancelled, taken = claimed
    PublishJob.all_tenants.filter(pk=cancelled.pk).update(status=PublishJobStatus.CANCELLED)
    someone_elses = timezone.now() + timedelta(seconds=30)
    PublishJob.all_tenants.filter(pk=taken.pk).update(lease_expires_at=someone_elses)  # claimed again by another
    before = leases(claimed)
    keeper = LeaseKeeper(claimed)
    assert keeper.renew() is False
    assert leases(claimed) == before


def test_a_call_longer_than_the_lease_is_not_swept_and_its_jobs_are_claimed_once(
    transactional_db, client, world, sandbox_http, settings, monkeypatch
):
    """Xero takes three leases to make the batch (the sandbox's slow_work fault); a sweeper runs all along and
    finds nothing to re-send, and the invoices are made once, by the one claim."""
    settings.PUBLISH_LEASE_SECONDS = LEASE
    monkeypatch.setattr("publishing.pipeline._send", lambda ids, queue: None)
    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    items = seed_items(world.a, 2, provider="xero")
    items_publish(business=world.a, item_ids=[i.pk for i in items], actor=None)
    job_ids = [str(pk) for pk in PublishJob.objects.for_business(world.a).values_list("pk", flat=True)]
    set_fault("xero", "slow_work", delay=LEASE * 3)  # every write: the contact, then the invoices
    swept, done = [], threading.Event()

    def sweeper():
        try:
            while not done.wait(0.1):
                swept.append(sweep_expired_leases())
        finally:
            db.close()

    thread = threading.Thread(target=sweeper)
    thread.start()
    try:
        assert batch_run(job_ids=job_ids) == []
    finally:
        done.set()
        thread.join(timeout=30)
    assert len(swept) > LEASE * 10 * 3, "the sweeper did not run during the call"
    assert not any(swept), f"the sweeper re-sent jobs of a call still in flight: {swept}"
    jobs = PublishJob.objects.for_business(world.a)
    assert {(j.status, j.attempts) for j in jobs} == {(PublishJobStatus.SUCCEEDED, 1)}
    assert sorted(d["reference"] for d in sandbox.documents_list(provider="xero")) == sorted(str(i.pk) for i in items)


def test_a_slot_held_longer_than_its_time_is_renewed():
    connection_id = uuid.uuid4()
    with provider_slot(connection_id=connection_id, per_minute=0, concurrent=1, slot_seconds=1) as slot:
        time.sleep(0.6)
        slot.renew(2)
        time.sleep(0.6)  # past the slot's first second
        with pytest.raises(RateLimited), provider_slot(connection_id=connection_id, per_minute=0, concurrent=1):
            pass
    with provider_slot(connection_id=connection_id, per_minute=0, concurrent=1):
        pass  # given back at the end
