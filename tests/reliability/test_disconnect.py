"""Disconnecting an additional integration while its jobs wait in the broker: none reaches it (R6)."""

import math

import pytest
import redis

from integrations.services import connection_disconnect, publishing_defaults_set
from publishing.models import Item, ItemState, PublishJob, PublishJobStatus
from publishing.pipeline import items_publish
from tests.conftest import bill_com_connect
from tests.reliability.rig import connect_oauth, seed_items

pytestmark = pytest.mark.reliability


def test_jobs_queued_for_a_disconnected_integration_never_reach_it(rig, client):
    business, admin = rig.business("Disconnect")
    xero = connect_oauth(client, business, admin, "xero")
    bill = bill_com_connect(business, admin)
    publishing_defaults_set(business=business, actor=admin, default_publishing_connection=bill.id)
    items = seed_items(business, 30, provider="bill_com")
    assert set(Item.objects.for_business(business).values_list("integration", flat=True)) == {bill.id}

    # No worker yet: the task messages wait in Redis while Bill.com is disconnected.
    result = items_publish(business=business, item_ids=[i.pk for i in items], actor=admin)
    assert result.updated == len(items)
    broker = redis.Redis.from_url(rig.redis_url)
    assert broker.llen("publish_interactive") == math.ceil(len(items) / rig.settings.PUBLISH_BATCH_MAX)
    effects = connection_disconnect(business=business, connection_id=bill.id, actor=admin)
    assert effects.jobs_cancelled == len(items)

    rig.beat()
    rig.worker()
    rig.wait(
        lambda: broker.llen("publish_interactive") == 0 and not broker.hlen("unacked"),
        timeout=60,
        what="the workers to take every queued message",
    )
    jobs = PublishJob.objects.for_business(business)
    assert set(jobs.values_list("status", flat=True)) == {PublishJobStatus.CANCELLED}
    rows = set(Item.objects.for_business(business).values_list("state", "integration", "last_publish_error_kind"))
    assert rows == {(ItemState.READY, xero.id, "disconnected")}, "the items were not resolved again to Xero"
    assert not set(map(str, (i.pk for i in items))) & set(rig.references("bill_com")), "Bill.com got a document"

    # Published again, they go to the main connection, once each, and still none to Bill.com.
    items_publish(business=business, item_ids=[i.pk for i in items], actor=admin)
    rig.wait_published(items, timeout=90)
    rig.assert_published_exactly_once(items, "xero")
    assert not rig.references("bill_com")
