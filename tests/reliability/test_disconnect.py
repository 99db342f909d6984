"""Disconnecting an additional integration while its jobs wait in the broker: none reaches it (R6)."""

import pytest
import redis

from integrations.services import connection_disconnect, publishing_defaults_set
from publishing.models import Item, ItemState, PublishJob, PublishJobStatus
from publishing.pipeline import items_publish, streams
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
    # A few messages per connection in flight (fair dispatch), a batch each; the workers send the next ones.
    assert broker.llen("publish_interactive") == min(streams("bill_com"), len(items) // rig.settings.PUBLISH_BATCH_MAX)
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


def test_a_disconnect_while_the_provider_call_is_in_flight_keeps_each_item_with_the_ledger_holding_it(rig, client):
    """Bill.com is disconnected while a worker's bulk create is being answered (slowly). The jobs are cancelled
    and the items resolved again to Xero, but Bill.com makes the bills all the same: the worker records them as
    published — to Bill.com, which holds them, with Bill.com's ids — never as published to Xero. The items whose
    call had not started go to Xero when published again: one document per item, in one ledger."""
    rig.extra_env["PROVIDER_HTTP_TIMEOUT_SECONDS"] = "20"  # slow, not timed out
    business, admin = rig.business("Disconnect in flight")
    xero = connect_oauth(client, business, admin, "xero")
    bill = bill_com_connect(business, admin)
    publishing_defaults_set(business=business, actor=admin, default_publishing_connection=bill.id)
    items = seed_items(business, 6, provider="bill_com")
    rig.fault("bill_com", "slow_work", rate=1.0, delay=3)  # each write: the vendor, then the bulk create

    rig.beat()
    rig.worker()
    items_publish(business=business, item_ids=[i.pk for i in items], actor=admin)
    jobs = PublishJob.objects.for_business(business)
    rig.wait(
        lambda: jobs.filter(status=PublishJobStatus.CLAIMED).count() >= 2,
        timeout=60,
        what="a worker to be calling Bill.com",
    )
    in_flight = set(jobs.filter(status=PublishJobStatus.CLAIMED).values_list("item_id", flat=True))
    effects = connection_disconnect(business=business, connection_id=bill.id, actor=admin)
    assert effects.jobs_cancelled == len(items)
    rig.wait(
        lambda: len(rig.references("bill_com")) >= len(in_flight),
        timeout=60,
        what="Bill.com to make the bills of the calls in flight",
    )
    rig.wait(
        lambda: (
            not Item.objects.for_business(business).filter(state__in=("queued", "publishing")).exists()
            and Item.objects.for_business(business).filter(state=ItemState.PUBLISHED).count() >= len(in_flight)
        ),
        timeout=60,
        what="the worker to record what Bill.com made",
    )
    at_bill = set(map(str, in_flight)) & set(rig.references("bill_com"))
    assert at_bill, "no bill was made after the disconnect: the test did not test anything"
    published = Item.objects.for_business(business).filter(state=ItemState.PUBLISHED)
    assert {str(i.pk) for i in published} == set(rig.references("bill_com")), "Bill.com holds an unpublished item"
    assert {i.integration_id for i in published} == {bill.id}, "an item shows as published to another connection"

    rest = Item.objects.for_business(business).exclude(state=ItemState.PUBLISHED)
    assert set(rest.values_list("state", "integration")) <= {(ItemState.READY, xero.id)}
    items_publish(business=business, item_ids=list(rest.values_list("pk", flat=True)), actor=admin)
    rig.wait_published(items, timeout=90)
    ledger = {i.pk: "bill_com" if str(i.pk) in at_bill else "xero" for i in items}
    rig.assert_published_exactly_once(items, ledger)
