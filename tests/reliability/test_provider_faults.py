"""Providers that fail one call in five (429 with Retry-After, 500, slow 504): every item is published once."""

import pytest
from django.db.models import Count

from integrations.services import publishing_defaults_set
from publishing.models import PublishAttempt
from publishing.pipeline import items_publish
from tests.conftest import bill_com_connect
from tests.reliability.rig import connect_oauth, seed_items

pytestmark = pytest.mark.reliability


def test_faults_on_one_call_in_five_lose_nothing_and_double_nothing(rig, client):
    # Twenty retries rather than ten: a Bill.com publish is two calls, so an attempt fails 36 % of the
    # time here, and ten failures in a row (a legitimate "give up") would happen once in ~500 runs.
    rig.extra_env["PUBLISH_MAX_ATTEMPTS"] = "20"
    plan = []  # (business, admin, provider of its items, how many)
    for position in (0, 1):  # Xero allows 60 calls a minute per organisation: 25 items in each of two
        business, admin = rig.business(f"Faults Xero {position}")
        connect_oauth(client, business, admin, "xero", organisation=position)
        plan.append((business, admin, "xero", 25))
    business, admin = rig.business("Faults QBO")
    connect_oauth(client, business, admin, "quickbooks_online", organisation=0)
    plan.append((business, admin, "quickbooks_online", 50))
    business, admin = rig.business("Faults Bill")
    connect_oauth(client, business, admin, "quickbooks_online", organisation=1)
    bill = bill_com_connect(business, admin)
    publishing_defaults_set(business=business, actor=admin, default_publishing_connection=bill.id)
    plan.append((business, admin, "bill_com", 50))

    rig.fault("xero", "rate_limit", rate=0.2, retry_after=1)  # seeded: printed, and replayed with RELIABILITY_SEED
    rig.fault("quickbooks_online", "server_error", rate=0.2)
    rig.fault("bill_com", "timeout", rate=0.2)

    provider_of = {}
    batches = []
    for business, admin, provider, count in plan:
        items = seed_items(business, count, provider=provider)
        provider_of.update(dict.fromkeys((i.pk for i in items), provider))
        batches.append((business, admin, items))
    items = [item for _, _, batch in batches for item in batch]
    rig.beat()
    rig.worker()
    for business, admin, batch in batches:
        result = items_publish(business=business, item_ids=[i.pk for i in batch], actor=admin, queue="publish_bulk")
        assert result.updated == len(batch) and not result.errors, result.errors

    rig.wait_published(items, timeout=150)
    rig.assert_published_exactly_once(items, provider_of)
    errors = dict(PublishAttempt.all_tenants.values_list("response__error").annotate(n=Count("id")))
    for fired in (
        "Xero asked us to slow down.",
        "QuickBooks Online had a problem (500).",
        "Bill.com had a problem (504).",
    ):
        assert errors.get(fired), f"the fault behind {fired!r} never fired: {errors}"
