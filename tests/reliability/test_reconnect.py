"""R5 whole: a connection whose authorisation was revoked mid-run is reconnected. Defaults, supplier rules and
hand-made choices are as they were; only the items that failed for authorisation are queued again (not one
the provider refused, not one never published, not one of another connection); they are published once each."""

import pytest

from integrations.lists.models import ListEntry, ListKind
from integrations.models import ConnectionStatus, PublishingDefaults
from integrations.sandbox.services import set_fault
from integrations.services import publishing_defaults_set
from publishing.models import Item, ItemState, PublishJob, SupplierRule
from publishing.pipeline import items_publish
from publishing.services import item_set_integration, supplier_get_or_create, supplier_rule_create
from publishing.worker import RECONNECT_MESSAGE
from tests.conftest import bill_com_connect
from tests.reliability.rig import connect_oauth, reconnect_oauth, seed_items

pytestmark = pytest.mark.reliability


def publish(business, admin, items) -> None:
    result = items_publish(business=business, item_ids=[i.pk for i in items], actor=admin, queue="publish_bulk")
    assert result.updated == len(items) and not result.errors, result.errors


def snapshot(business) -> dict:
    defaults = PublishingDefaults.objects.for_business(business).get()
    return {
        "defaults": (defaults.default_publishing_connection_id, defaults.default_expense_claims_connection_id),
        "rules": set(SupplierRule.objects.for_business(business).values_list("supplier__name", "integration")),
        "items": set(
            Item.objects.for_business(business).values_list(
                "pk", "integration", "integration_source", "integration_chosen_by"
            )
        ),
    }


def test_reconnecting_keeps_every_choice_and_queues_again_only_what_failed_for_authorisation(rig, client):
    business, admin = rig.business("Reconnect")
    xero = connect_oauth(client, business, admin, "xero")
    bill = bill_com_connect(business, admin)
    publishing_defaults_set(business=business, actor=admin, default_publishing_connection=bill.id)
    to_xero = supplier_get_or_create(business=business, name="Xero Supplies")
    supplier_rule_create(business=business, actor=admin, supplier_id=to_xero.id, integration_id=xero.id)

    ruled = seed_items(business, 6, provider="xero", supplier="Xero Supplies")  # the rule: Xero
    defaulted = seed_items(business, 5, provider="bill_com")  # the default: Bill.com
    chosen = item_set_integration(business=business, actor=admin, item_id=defaulted.pop().pk, connection_id=xero.id)
    [refused] = seed_items(business, 1, provider="xero", supplier="Xero Supplies")
    # Coded with an account Xero archived after our lists were synced (our copy still says active): ready here,
    # refused by Xero.
    archived = ListEntry.objects.for_business(business).get(connection=xero, kind=ListKind.ACCOUNTS, code="495")
    ListEntry.objects.for_business(business).filter(pk=archived.pk).update(active=True)
    Item.objects.for_business(business).filter(pk=refused.pk).update(category="495", category_entry=archived)
    [idle] = seed_items(business, 1, provider="xero", supplier="Xero Supplies")  # never published
    sources = dict(Item.objects.for_business(business).values_list("pk", "integration_source"))
    assert {sources[i.pk] for i in ruled} == {"supplier_rule"} and sources[chosen.pk] == "manual"
    assert {sources[i.pk] for i in defaulted} == {"default"}

    rig.beat()
    rig.worker()
    open_jobs = PublishJob.objects.for_business(business).filter(status__in=("pending", "claimed"))
    publish(business, admin, [refused])  # Xero refuses it: a validation failure, not an authorisation one
    rig.wait(lambda: not open_jobs.exists(), timeout=60, what="the refused item's job to end")

    set_fault("xero", "revoke_refresh")  # the authorisation has gone for good…
    set_fault("xero", "expire_tokens")  # …which the workers find out at their next call
    publish(business, admin, [*ruled, chosen, *defaulted])
    rig.wait(lambda: not open_jobs.exists(), timeout=90, what="every job to succeed or fail")
    xero.refresh_from_db()
    assert xero.status == ConnectionStatus.NEEDS_RECONNECT
    failed_auth = {i.pk for i in ruled} | {chosen.pk}
    rows = {
        row[0]: row[1:]
        for row in Item.objects.for_business(business).values_list(
            "pk", "state", "last_publish_error_kind", "last_publish_error"
        )
    }
    assert {rows[pk] for pk in failed_auth} == {(ItemState.READY, "auth", RECONNECT_MESSAGE)}
    assert rows[refused.pk][:2] == (ItemState.READY, "validation") and "495" in rows[refused.pk][2]
    assert rows[idle.pk] == (ItemState.READY, "", None)
    assert {rows[i.pk][0] for i in defaulted} == {ItemState.PUBLISHED}, "Bill.com's items were held up"
    before = snapshot(business)
    jobs_before = set(PublishJob.objects.for_business(business).values_list("pk", flat=True))

    reconnect_oauth(client, business, admin, xero)  # R5: the failed items are queued again by themselves

    xero.refresh_from_db()
    assert xero.status == ConnectionStatus.ACTIVE
    assert snapshot(business) == before, "reconnecting changed a default, a supplier rule or an item's integration"
    requeued = PublishJob.objects.for_business(business).exclude(pk__in=jobs_before)
    assert set(requeued.values_list("item", flat=True)) == failed_auth, "other items than the auth failures were queued"
    rig.wait_published([*ruled, chosen], timeout=90)
    rig.assert_published_exactly_once(
        [*ruled, chosen, *defaulted],
        {
            **dict.fromkeys((i.pk for i in [*ruled, chosen]), "xero"),
            **dict.fromkeys((i.pk for i in defaulted), "bill_com"),
        },
    )
    rows = dict(Item.objects.for_business(business).values_list("pk", "state"))
    assert (rows[refused.pk], rows[idle.pk]) == (ItemState.READY, ItemState.READY)
