"""``POST items/bulk/``: publish, set_integration (set-based) and archive; refusals are per item."""

import uuid

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from accounts.models import AuditLogEntry
from publishing.models import IntegrationSource, Item, ItemHistory, ItemKind, ItemState, PublishJob
from publishing.services import items_set_integration_bulk
from tests.publishing.conftest import make_item


def url(business, path="items/bulk/"):
    return f"/api/v1/businesses/{business.id}/{path}"


def _errors(body):
    return {e["id"]: e["code"] for e in body["errors"]}


def test_set_integration_moves_the_allowed_items_and_refuses_the_rest_one_by_one(world, api_as, connect):
    qbd = connect(world.a, "quickbooks_desktop")  # main: takes costs and sales, not expense claims
    connect(world.a, "bill_com")
    costs = [make_item(world.a, contact=f"Supplier {n}") for n in range(3)]
    claim = make_item(world.a, kind=ItemKind.EXPENSE_CLAIM)
    sales = make_item(world.a, kind=ItemKind.SALES, contact="Bluebell Interiors")
    published = make_item(world.a)
    queued = make_item(world.a)
    Item.objects.for_business(world.a).filter(pk=published.pk).update(state=ItemState.PUBLISHED)
    Item.objects.for_business(world.a).filter(pk=queued.pk).update(state=ItemState.QUEUED)
    theirs = make_item(world.b)
    unknown = uuid.uuid4()
    ids = [c.id for c in costs] + [claim.id, sales.id, published.id, queued.id, theirs.id, unknown, "garbage"]

    response = api_as(world.users["standard_publisher"]).post(
        url(world.a),
        {"ids": [str(i) for i in ids], "action": "set_integration", "integration": str(qbd.id)},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    # Costs move; the sales item is already on the main connection (counted, not refused).
    assert body["updated"] == 4
    assert _errors(body) == {
        str(claim.id): "kind_not_supported",
        str(published.id): "item_not_editable",
        str(queued.id): "item_not_editable",
        str(theirs.id): "not_found",
        str(unknown): "not_found",
        "garbage": "not_found",
    }
    for cost in costs:
        cost.refresh_from_db()
        assert (cost.integration_id, cost.integration_source) == (qbd.id, IntegrationSource.MANUAL)
        assert cost.integration_chosen_by == world.users["standard_publisher"]
    theirs.refresh_from_db()
    assert theirs.integration_id is None, "another tenant's item leaked into the bulk change"
    claim.refresh_from_db()
    assert claim.integration_id is None, "the refused claim keeps its (lack of) integration"


def test_set_integration_refuses_sales_to_an_additional_connection(world, api_as, xero_bill):
    xero, bill = xero_bill
    sales = make_item(world.a, kind=ItemKind.SALES, contact="Bluebell Interiors")
    cost = make_item(world.a)
    Item.objects.for_business(world.a).filter(pk=cost.pk).update(integration=xero)
    body = (
        api_as(world.users["business_admin"])
        .post(
            url(world.a),
            {"ids": [str(sales.id), str(cost.id)], "action": "set_integration", "integration": str(bill.id)},
            format="json",
        )
        .json()
    )
    assert body["updated"] == 1
    assert _errors(body) == {str(sales.id): "sales_main_only"}


def test_set_integration_writes_history_and_one_audit_row(world, xero_bill):
    xero, bill = xero_bill
    items = [make_item(world.a) for _ in range(4)]
    result = items_set_integration_bulk(
        business=world.a, actor=world.users["business_admin"], item_ids=[i.id for i in items], connection_id=xero.id
    )
    assert result.updated == 4 and result.errors == []
    history = ItemHistory.objects.for_business(world.a).filter(reason="Chosen by hand (bulk change)")
    assert history.count() == 4
    assert {(h.before, h.after, h.actor_id) for h in history} == {
        (str(bill.id), str(xero.id), world.users["business_admin"].id)
    }
    audit = AuditLogEntry.objects.for_business(world.a).filter(action="items.integration_changed_in_bulk")
    assert audit.count() == 1
    assert audit.get().before == {"integrations": {str(bill.id): 4}}
    assert audit.get().after == {"integration": str(xero.id), "items": 4}


def _bulk_queries(world, xero, bill, count):
    supplier = make_item(world.a).supplier
    Item.objects.unscoped().bulk_create(
        [
            Item(business=world.a, kind=ItemKind.COST, state=ItemState.READY, supplier=supplier, integration=bill)
            for _ in range(count)
        ]
    )
    ids = list(Item.objects.for_business(world.a).values_list("pk", flat=True))
    with CaptureQueriesContext(db) as queries:
        result = items_set_integration_bulk(business=world.a, actor=None, item_ids=ids, connection_id=xero.id)
    assert result.updated == len(ids) and not result.errors
    return len(queries.captured_queries)


@pytest.mark.parametrize("count", [10, 400])
def test_set_integration_is_set_based(world, xero_bill, count):
    xero, bill = xero_bill
    # The same for 10 items as for 400; Xero keeps lists, so the move also reads which of them are synced (one more).
    assert _bulk_queries(world, xero, bill, count) <= 9


def test_set_integration_query_count_does_not_grow_with_the_items(world, xero_bill):
    xero, bill = xero_bill
    few = _bulk_queries(world, xero, bill, 10)
    Item.objects.for_business(world.a).delete()
    many = _bulk_queries(world, xero, bill, 400)
    assert few == many


def test_set_integration_with_an_invalid_connection_refuses_the_whole_request(world, api_as, xero_bill, connect):
    theirs = connect(world.b, "xero")
    item = make_item(world.a)
    response = api_as(world.users["business_admin"]).post(
        url(world.a), {"ids": [str(item.id)], "action": "set_integration", "integration": str(theirs.id)}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_connection"


def test_set_integration_without_an_integration_is_invalid(world, api_as, xero_bill):
    item = make_item(world.a)
    response = api_as(world.users["business_admin"]).post(
        url(world.a), {"ids": [str(item.id)], "action": "set_integration"}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_bulk_publish_queues_ready_items_and_refuses_the_others(world, api_as, xero_bill, no_broker):
    ready = make_item(world.a)
    incomplete = make_item(world.a, ready=False)
    theirs = make_item(world.b)
    body = (
        api_as(world.users["standard_publisher"])
        .post(
            url(world.a),
            {"ids": [str(ready.id), str(incomplete.id), str(theirs.id)], "action": "publish"},
            format="json",
        )
        .json()
    )
    assert body["updated"] == 1
    assert _errors(body) == {str(incomplete.id): "not_ready", str(theirs.id): "not_found"}
    assert PublishJob.objects.for_business(world.a).get().queue == "publish_bulk"
    theirs.refresh_from_db()
    assert theirs.state == ItemState.READY


def test_bulk_archive(world, api_as, xero_bill):
    a, b = make_item(world.a), make_item(world.a, ready=False)
    queued = make_item(world.a)
    Item.objects.for_business(world.a).filter(pk=queued.pk).update(state=ItemState.QUEUED)
    theirs = make_item(world.b)
    body = (
        api_as(world.users["standard"])
        .post(
            url(world.a),
            {"ids": [str(a.id), str(b.id), str(queued.id), str(theirs.id)], "action": "archive"},
            format="json",
        )
        .json()
    )
    assert body["updated"] == 2
    assert _errors(body) == {str(queued.id): "item_in_flight", str(theirs.id): "not_found"}
    assert set(Item.objects.for_business(world.a).filter(state=ItemState.ARCHIVED).values_list("pk", flat=True)) == {
        a.id,
        b.id,
    }
    assert ItemHistory.objects.for_business(world.a).filter(field="state", after="archived").count() == 2
    theirs.refresh_from_db()
    assert theirs.state != ItemState.ARCHIVED


@pytest.mark.parametrize(
    "role, action, status",
    [
        ("standard", "publish", 403),
        ("standard", "set_integration", 403),
        ("standard", "archive", 200),
        ("standard_publisher", "set_integration", 200),
    ],
)
def test_bulk_roles(world, api_as, xero_bill, no_broker, role, action, status):
    xero, _ = xero_bill
    item = make_item(world.a)
    response = api_as(world.users[role]).post(
        url(world.a), {"ids": [str(item.id)], "action": action, "integration": str(xero.id)}, format="json"
    )
    assert response.status_code == status, response.content
    if status == 403:
        assert response.json()["code"] == "not_allowed"


@pytest.mark.parametrize(
    "payload", [{"ids": [], "action": "archive"}, {"ids": ["x"], "action": "delete"}, {"ids": "x", "action": "archive"}]
)
def test_bulk_refuses_bad_input(world, api_as, payload):
    response = api_as(world.users["business_admin"]).post(url(world.a), payload, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
