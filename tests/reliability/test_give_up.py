"""The give-up path: after PUBLISH_MAX_ATTEMPTS failed attempts the job fails and the item goes back to ``ready``
with its error. Xero and QuickBooks Online made every document and lost every answer (their idempotent replays
were lost too); Bill.com failed before doing anything (a lost answer would not do: its look-up before a create
finds the bill and the job succeeds). Published again, in other batches than the first time, each item still
ends as exactly one document: the first one, found again, not a second one."""

import pytest

from integrations.services import publishing_defaults_set
from publishing.models import Item, ItemState, PublishJob, PublishJobStatus
from publishing.pipeline import items_publish
from tests.conftest import bill_com_connect
from tests.reliability.rig import connect_oauth, seed_items

pytestmark = pytest.mark.reliability

MAX_ATTEMPTS = 3


def test_after_max_attempts_the_item_is_ready_with_its_error_and_publishing_again_doubles_nothing(rig, client):
    rig.extra_env["PUBLISH_MAX_ATTEMPTS"] = str(MAX_ATTEMPTS)
    rig.settings.PUBLISH_MAX_ATTEMPTS = MAX_ATTEMPTS
    plan = []
    business, admin = rig.business("Give up Xero")
    connect_oauth(client, business, admin, "xero")
    plan.append((business, admin, "xero"))
    business, admin = rig.business("Give up QBO")
    connect_oauth(client, business, admin, "quickbooks_online")
    plan.append((business, admin, "quickbooks_online"))
    business, admin = rig.business("Give up Bill")
    connect_oauth(client, business, admin, "quickbooks_online", organisation=1)
    bill = bill_com_connect(business, admin)
    publishing_defaults_set(business=business, actor=admin, default_publishing_connection=bill.id)
    plan.append((business, admin, "bill_com"))

    # No attempt can succeed: every write of Xero and QuickBooks is made and its answer lost; Bill.com fails.
    faults = {"xero": "lost_answer", "quickbooks_online": "lost_answer", "bill_com": "server_error"}
    for provider, mode in faults.items():
        rig.fault(provider, mode, rate=1.0)
    provider_of, batches = {}, []
    for business, admin, provider in plan:
        items = seed_items(business, 6, provider=provider, attachments=True)
        provider_of.update(dict.fromkeys((i.pk for i in items), provider))
        batches.append((business, admin, items))
    items = [item for *_, batch in batches for item in batch]
    rig.beat()
    rig.worker()
    for business, admin, batch in batches:
        items_publish(business=business, item_ids=[i.pk for i in batch], actor=admin, queue="publish_bulk")

    jobs = PublishJob.all_tenants.filter(item__in=[i.pk for i in items])
    rig.wait(lambda: not jobs.filter(status__in=("pending", "claimed")).exists(), timeout=120, what="every job to end")
    assert set(jobs.values_list("status", "attempts")) == {(PublishJobStatus.FAILED, MAX_ATTEMPTS)}
    rows = Item.all_tenants.filter(pk__in=[i.pk for i in items])
    assert set(rows.values_list("state", "last_publish_error_kind", "external_id")) == {
        (ItemState.READY, "transient", "")
    }
    assert all(row.last_publish_error and row.publish_attempts == 1 for row in rows)
    made = {p: len(rig.documents(p)) for p in faults}
    assert made == {"xero": 6, "quickbooks_online": 6, "bill_com": 0}, f"documents made before the give-up: {made}"

    for provider in faults:
        rig.fault(provider, "none")
    for business, admin, batch in batches:
        # In other batches than the first time: one item on its own, the rest together, in reverse order.
        ids = [i.pk for i in batch]
        items_publish(business=business, item_ids=ids[:1], actor=admin, queue="publish_bulk")
        items_publish(business=business, item_ids=ids[:0:-1], actor=admin, queue="publish_bulk")
    rig.wait_published(items, timeout=120)
    rig.assert_published_exactly_once(items, provider_of)
