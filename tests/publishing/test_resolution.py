"""DESIGN.md §5: integration resolution, each step and each source, and its set-based re-pointing."""

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext

from integrations import services as connection_services
from integrations.models import PublishingDefaults
from publishing.models import IntegrationSource, Item, ItemHistory, ItemKind, ItemState
from publishing.resolution import items_reresolve
from publishing.services import item_set_integration, supplier_get_or_create, supplier_rule_create
from tests.publishing.conftest import make_item


def _resolved(item):
    item.refresh_from_db()
    return item.integration_id, item.integration_source


# ---------------------------------------------------------------- 1. sales → main (main_only)


def test_step1_sales_always_go_to_the_main_connection_even_when_the_default_is_elsewhere(world, xero_bill):
    xero, bill = xero_bill
    item = make_item(world.a, kind=ItemKind.SALES, contact="Bluebell Interiors")
    assert _resolved(item) == (xero.id, IntegrationSource.MAIN_ONLY)


def test_step1_sales_ignore_a_hand_made_choice_written_behind_the_services_back(world, xero_bill):
    xero, bill = xero_bill
    item = make_item(world.a, kind=ItemKind.SALES, contact="Bluebell Interiors")
    Item.objects.for_business(world.a).filter(pk=item.pk).update(integration=bill, integration_source="manual")
    items_reresolve(business=world.a, where="i.id = %(i)s", params={"i": item.pk})
    assert _resolved(item) == (xero.id, IntegrationSource.MAIN_ONLY)


def test_step1_sales_without_a_main_connection_have_no_integration(world):
    item = make_item(world.a, kind=ItemKind.SALES, contact="Bluebell Interiors")
    assert _resolved(item) == (None, None)


# ---------------------------------------------------------------- 2. manual


def test_step2_a_hand_made_choice_wins_over_rule_and_default(world, xero_bill):
    xero, bill = xero_bill
    supplier = supplier_get_or_create(business=world.a, name="Paper Co")
    supplier_rule_create(business=world.a, actor=None, supplier_id=supplier.pk, integration_id=bill.pk)
    item = make_item(world.a, contact="Paper Co")
    assert _resolved(item) == (bill.id, IntegrationSource.SUPPLIER_RULE)
    item_set_integration(business=world.a, actor=world.users["business_admin"], item_id=item.pk, connection_id=xero.pk)
    assert _resolved(item) == (xero.id, IntegrationSource.MANUAL)
    items_reresolve(business=world.a)  # a later resolution keeps it
    assert _resolved(item) == (xero.id, IntegrationSource.MANUAL)
    item.refresh_from_db()
    assert item.integration_chosen_by == world.users["business_admin"]


def test_step2_a_manual_choice_of_a_disconnected_connection_falls_through(world, connect):
    xero = connect(world.a, "xero")
    approvalmax = connect(world.a, "approvalmax")
    item = make_item(world.a)
    item_set_integration(business=world.a, actor=None, item_id=item.pk, connection_id=approvalmax.pk)
    assert _resolved(item) == (approvalmax.id, IntegrationSource.MANUAL)
    connection_services.connection_disconnect(business=world.a, connection_id=approvalmax.id, actor=None)
    assert _resolved(item) == (xero.id, IntegrationSource.DEFAULT)
    history = ItemHistory.objects.for_business(world.a).filter(item=item, field="integration").first()
    assert history.reason == "ApprovalMax disconnected"
    assert (history.before, history.after) == (str(approvalmax.id), str(xero.id))


def test_step2_null_drops_the_hand_made_choice_and_resolves_again(world, xero_bill):
    xero, bill = xero_bill
    item = make_item(world.a)
    item_set_integration(business=world.a, actor=None, item_id=item.pk, connection_id=xero.pk)
    item_set_integration(business=world.a, actor=None, item_id=item.pk, connection_id=None)
    assert _resolved(item) == (bill.id, IntegrationSource.DEFAULT)


# ---------------------------------------------------------------- 3. supplier rule


def test_step3_the_supplier_rule_wins_over_the_default(world, xero_bill):
    xero, bill = xero_bill
    supplier = supplier_get_or_create(business=world.a, name="Office Supplies Co")
    supplier_rule_create(business=world.a, actor=None, supplier_id=supplier.pk, integration_id=xero.pk)
    assert _resolved(make_item(world.a, contact="Office Supplies Co")) == (xero.id, IntegrationSource.SUPPLIER_RULE)
    assert _resolved(make_item(world.a, contact="Someone Else")) == (bill.id, IntegrationSource.DEFAULT)


def test_step3_a_rule_pointing_at_a_connection_that_does_not_take_the_kind_falls_through(world, connect):
    """QuickBooks Desktop takes costs but not expense claims: the claim goes to its default instead."""
    qbd = connect(world.a, "quickbooks_desktop")
    bill = connect(world.a, "bill_com")
    connection_services.publishing_defaults_set(business=world.a, actor=None, default_expense_claims_connection=bill.id)
    supplier = supplier_get_or_create(business=world.a, name="Metro Rail")
    supplier_rule_create(business=world.a, actor=None, supplier_id=supplier.pk, integration_id=qbd.pk)
    cost = make_item(world.a, contact="Metro Rail")
    claim = make_item(world.a, kind=ItemKind.EXPENSE_CLAIM, contact="Metro Rail")
    assert _resolved(cost) == (qbd.id, IntegrationSource.SUPPLIER_RULE)
    assert _resolved(claim) == (bill.id, IntegrationSource.DEFAULT)


# ---------------------------------------------------------------- 4. default, 5. main


def test_step4_expense_claims_use_their_own_default_and_costs_the_publishing_default(world, xero_bill):
    xero, bill = xero_bill
    assert PublishingDefaults.objects.for_business(world.a).get().default_expense_claims_connection_id == xero.id
    assert _resolved(make_item(world.a, kind=ItemKind.EXPENSE_CLAIM)) == (xero.id, IntegrationSource.DEFAULT)
    assert _resolved(make_item(world.a)) == (bill.id, IntegrationSource.DEFAULT)


def test_step5_the_main_connection_when_no_default_applies(world, connect):
    xero = connect(world.a, "xero")
    PublishingDefaults.objects.for_business(world.a).update(default_publishing_connection=None)
    assert _resolved(make_item(world.a)) == (xero.id, IntegrationSource.MAIN)


def test_no_connection_that_takes_the_kind_leaves_the_item_unresolved(world, connect):
    connect(world.a, "quickbooks_desktop")  # takes no expense claims; no claims default
    assert _resolved(make_item(world.a, kind=ItemKind.EXPENSE_CLAIM)) == (None, None)


def test_connecting_resolves_the_items_that_had_no_integration(world, connect):
    item = make_item(world.a)
    assert _resolved(item) == (None, None)
    xero = connect(world.a, "xero")
    assert _resolved(item) == (xero.id, IntegrationSource.DEFAULT)


def test_published_items_are_never_re_pointed(world, xero_bill):
    xero, bill = xero_bill
    item = make_item(world.a)
    Item.objects.for_business(world.a).filter(pk=item.pk).update(state=ItemState.PUBLISHED)
    connection_services.publishing_defaults_set(business=world.a, actor=None, default_publishing_connection=xero.id)
    assert _resolved(item) == (bill.id, IntegrationSource.DEFAULT)


# ---------------------------------------------------------------- set-based re-pointing


def _default_change_queries(world, xero, bill, count):
    """Fill business A with ``count`` default-sourced costs, flip the default, return (queries, item UPDATEs)."""
    current = PublishingDefaults.objects.for_business(world.a).get().default_publishing_connection_id
    target, other = (xero, bill) if current == bill.id else (bill, xero)
    Item.objects.for_business(world.a).delete()
    supplier = supplier_get_or_create(business=world.a, name="Paper Co")
    Item.objects.unscoped().bulk_create(
        [
            Item(
                business=world.a,
                kind=ItemKind.COST,
                state=ItemState.READY,
                supplier=supplier,
                total=10,
                integration=other,
                integration_source=IntegrationSource.DEFAULT,
            )
            for _ in range(count)
        ]
    )
    with CaptureQueriesContext(db) as queries:
        connection_services.publishing_defaults_set(
            business=world.a, actor=None, default_publishing_connection=target.id
        )
    assert set(Item.objects.for_business(world.a).values_list("integration_id", flat=True)) == {target.id}
    updates = [q["sql"] for q in queries.captured_queries if "UPDATE publishing_item" in q["sql"]]
    return len(queries.captured_queries), updates


@pytest.mark.parametrize("count", [5, 500])
def test_a_default_change_re_points_items_in_one_update(world, xero_bill, count):
    xero, bill = xero_bill
    total, updates = _default_change_queries(world, xero, bill, count)
    assert len(updates) == 1, "one set-based UPDATE re-points every item"


def test_the_number_of_queries_of_a_default_change_does_not_grow_with_the_items(world, xero_bill):
    xero, bill = xero_bill
    few, _ = _default_change_queries(world, xero, bill, 5)
    many, _ = _default_change_queries(world, xero, bill, 500)
    assert few == many
    assert ItemHistory.objects.for_business(world.a).filter(reason="Default integration changed").count() >= 500


def test_manual_and_rule_items_keep_their_integration_when_the_default_changes(world, xero_bill):
    xero, bill = xero_bill
    supplier = supplier_get_or_create(business=world.a, name="Ruled Co")
    supplier_rule_create(business=world.a, actor=None, supplier_id=supplier.pk, integration_id=bill.pk)
    ruled = make_item(world.a, contact="Ruled Co")
    manual = make_item(world.a)
    item_set_integration(business=world.a, actor=None, item_id=manual.pk, connection_id=bill.pk)
    plain = make_item(world.a)
    connection_services.publishing_defaults_set(business=world.a, actor=None, default_publishing_connection=xero.id)
    assert _resolved(ruled) == (bill.id, IntegrationSource.SUPPLIER_RULE)
    assert _resolved(manual) == (bill.id, IntegrationSource.MANUAL)
    assert _resolved(plain) == (xero.id, IntegrationSource.DEFAULT)


class _Planned(Exception):
    def __init__(self, plan):
        self.plan = plan


def _max_loops(node: dict) -> int:
    return max([node.get("Actual Loops", 0), *(_max_loops(child) for child in node.get("Plans", []))])


def test_a_default_change_works_each_items_coding_out_once_even_when_the_planner_thinks_the_tables_empty(
    world, xero_bill, monkeypatch
):
    """A fresh database's statistics, taken after rolled-back writes, say the tables are empty (no rows, some pages).
    The re-pointing statement must not then work the whole set out again for every item it updates (quadratic: it
    ran for minutes on 500 items in a fresh `make test`): no step of its plan runs more than a few times per item."""
    from django.db.backends.utils import CursorWrapper

    with db.cursor() as cursor:
        for table, pages in (("publishing_item", 134), ("integrations_listentry", 270), ("integrations_connection", 5)):
            cursor.execute("UPDATE pg_class SET reltuples = 0, relpages = %s WHERE relname = %s", [pages, table])
    original = CursorWrapper.execute

    def explain(self, sql, params=None):
        if sql.lstrip().startswith("WITH coding AS"):
            original(self, "EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) " + sql, params)
            raise _Planned(self.cursor.fetchone()[0][0]["Plan"])
        return original(self, sql, params)

    monkeypatch.setattr(CursorWrapper, "execute", explain)
    xero, bill = xero_bill
    count = 200
    with pytest.raises(_Planned) as planned:
        _default_change_queries(world, xero, bill, count)
    assert _max_loops(planned.value.plan) <= 4 * count, "a step of the plan runs once per item per item"
