"""A worker killed with ``kill -9`` in the middle of a bulk publish loses no item and doubles none."""

import pytest
from django.utils import timezone

from publishing.models import PublishJob, PublishJobStatus
from publishing.pipeline import items_publish
from tests.reliability.rig import connect_oauth, seed_items

pytestmark = pytest.mark.reliability


def claimed_now() -> int:
    live = PublishJob.all_tenants.filter(status=PublishJobStatus.CLAIMED, lease_expires_at__gt=timezone.now())
    return live.count()


def test_a_worker_killed_mid_run_loses_nothing_and_doubles_nothing(rig, client):
    # Two QuickBooks Online companies, 250 items each, in batches of 10: QuickBooks takes 40 batch requests a
    # minute per company, so the rig's batches of two would take minutes by the clock, not by the work.
    rig.extra_env["PUBLISH_BATCH_MAX"] = "10"
    rig.settings.PUBLISH_BATCH_MAX = 10
    items = []
    for position in (0, 1):
        business, admin = rig.business(f"Crash {position}")
        connect_oauth(client, business, admin, "quickbooks_online", organisation=position)
        seeded = seed_items(business, 250, provider="quickbooks_online")
        result = items_publish(business=business, item_ids=[i.pk for i in seeded], actor=admin, queue="publish_bulk")
        assert result.updated == 250 and not result.errors, result.errors
        items += seeded

    rig.beat()
    first = rig.worker()
    rig.wait_some_published(items, 50)
    # Kill while it is calling the provider for some jobs (claimed, leased, maybe already answered).
    rig.wait(lambda: claimed_now() >= 2, timeout=30, what="the worker to hold two claimed jobs")
    first.kill()  # kill -9 on the worker and its pool
    stranded = claimed_now()  # only the dead worker could have claimed these
    assert stranded > 0, "no job was in flight when the worker died; the test did not test anything"
    assert rig.published(items) < len(items) - 100, "the run was nearly over at the kill; seed more items"

    rig.worker()
    rig.wait_published(items, timeout=150)
    rig.assert_published_exactly_once(items, "quickbooks_online")
    retried = PublishJob.all_tenants.filter(attempts__gt=1).count()
    assert retried >= stranded, "the jobs the dead worker held were not claimed again after their lease"
