"""Items coded against the lists of the ledger they go to (DESIGN.md §9): matching words to entries, carrying the
coding to another ledger (by code, then by name, else cleared), readiness decided once — in SQL by the statement
that sets the state, in Python by item_problems — and the two held to each other on the same cases."""

import itertools
from decimal import Decimal

import pytest

from integrations.lists.models import ListEntry, ListKind
from integrations.lists.source import Pass
from integrations.providers.bill_com import BillCom
from integrations.providers.xero import Xero
from publishing.coding import coding_context, item_problems, items_recode
from publishing.models import Item, ItemHistory, ItemState
from publishing.services import item_create, item_set_integration, item_update, items_bulk
from publishing.services.contacts import supplier_get_or_create
from tests.lists import STANDARD, entry, seed_lists

A, T, P = ListKind.ACCOUNTS, ListKind.TAX_RATES, ListKind.PAYMENT_ACCOUNTS

# Bill.com's chart: some of Xero's codes, some of its names under other codes, nothing else.
BILL_CHART = [
    (A, "429", "General Expenses", "EXPENSE", "", None, True),
    (A, "6200", "Advertising", "EXPENSE", "", None, True),
    (A, "6300", "Freight", "EXPENSE", "", None, False),
]


@pytest.fixture
def ledgers(world, connect, monkeypatch):
    """Xero (main, full lists) and Bill.com (its own chart) on business A; defaults on Xero."""
    monkeypatch.setattr(Xero, "list_passes", (Pass(A, (A, P)), Pass(T, (T,))), raising=False)
    monkeypatch.setattr(BillCom, "list_passes", (Pass(A, (A,)),), raising=False)
    xero = connect(world.a, "xero")
    bill = connect(world.a, "bill_com")
    ListEntry.objects.for_business(world.a).filter(connection=bill).delete()
    seed_lists(bill, BILL_CHART)
    return xero, bill


def cost(world, **fields):
    values = {"date": "2026-11-02", "total": "10.00", "category": "429 General Expenses", **fields}
    return item_create(business=world.a, actor=None, kind="cost", contact_name="Paper Co", **values)


def test_words_are_matched_to_the_ledgers_list_by_code_by_name_or_both(world, ledgers):
    xero, _ = ledgers
    for words in ("429", "general expenses", "429 General Expenses", "  429  "):
        item = cost(world, category=words)
        assert item.state == ItemState.READY, words
        assert item.category_entry_id == entry(xero, A, "429").id and item.category == "429", words
    unknown = cost(world, category="999 Nowhere")
    assert unknown.state == ItemState.TO_REVIEW and unknown.category_entry_id is None
    assert unknown.category == "999 Nowhere", "what was asked for stays in words until it matches"
    assert item_problems(unknown, coding_context(world.a)) == [
        {
            "field": "category",
            "detail": "Xero's list has no category “999 Nowhere”. Choose a category from Xero's list.",
        }
    ]


def test_an_archived_entry_does_not_make_an_item_ready(world, ledgers):
    xero, _ = ledgers
    item = cost(world, category="477")
    assert item.state == ItemState.TO_REVIEW
    item = cost(world, tax_rate="17.5% (old VAT)")
    assert item.state == ItemState.TO_REVIEW and item.tax_rate_entry_id is None


def test_moving_to_another_ledger_carries_the_coding_by_code_then_name_else_clears_it(world, ledgers):
    xero, bill = ledgers
    by_code = cost(world, category="429")
    by_name = cost(world, category="400 Advertising")
    inactive_there = cost(world, category="425 Freight")
    missing_there = cost(world, category="461 Printing & Stationery")
    result = items_bulk(
        business=world.a,
        actor=world.users["business_admin"],
        item_ids=[i.pk for i in (by_code, by_name, inactive_there, missing_there)],
        action="set_integration",
        connection_id=bill.pk,
    )
    assert result.updated == 4
    rows = {i.pk: i for i in Item.objects.for_business(world.a).select_related("category_entry")}
    assert rows[by_code.pk].category_entry == entry(bill, A, "429") and rows[by_code.pk].state == ItemState.READY
    assert rows[by_name.pk].category_entry == entry(bill, A, "6200") and rows[by_name.pk].category == "6200"
    for gone in (inactive_there, missing_there):
        moved = rows[gone.pk]
        assert (moved.category_entry_id, moved.category, moved.state) == (None, "", ItemState.TO_REVIEW)
        assert item_problems(moved, coding_context(world.a)) == [
            {"field": "category", "detail": "Choose a category from Bill.com's list."}
        ]
        assert (
            ItemHistory.objects.for_business(world.a)
            .filter(item_id=gone.pk, field="category", after="", reason="Moved to Bill.com")
            .exists()
        )
    # Never one ledger's code in another's: every coded item's entry is of its own ledger.
    for item in rows.values():
        assert item.category_entry is None or item.category_entry.connection_id == item.integration_id


def test_a_hand_made_move_back_finds_the_first_ledgers_entry_again(world, ledgers):
    xero, bill = ledgers
    item = cost(world, category="400 Advertising", tax_rate="20% (VAT on Expenses)")
    item_set_integration(business=world.a, actor=world.users["business_admin"], item_id=item.pk, connection_id=bill.pk)
    item.refresh_from_db()
    assert (item.category, item.tax_rate, item.tax_rate_entry_id) == ("6200", "", None), "Bill.com keeps no tax rates"
    assert item.state == ItemState.READY, "nothing to choose where the ledger keeps no such list"
    item_set_integration(business=world.a, actor=world.users["business_admin"], item_id=item.pk, connection_id=xero.pk)
    item.refresh_from_db()
    assert item.category_entry == entry(xero, A, "400"), "Advertising by name, back in Xero"


def test_a_default_change_re_codes_the_items_it_moves(world, ledgers):
    from integrations.services import publishing_defaults_set

    xero, bill = ledgers
    item = cost(world, category="400 Advertising")
    publishing_defaults_set(business=world.a, actor=None, default_publishing_connection=bill.id)
    item.refresh_from_db()
    assert (item.integration_id, item.category_entry) == (bill.id, entry(bill, A, "6200"))


def test_entries_given_by_id_must_be_of_the_items_ledger(world, ledgers, api_as):
    xero, bill = ledgers
    client = api_as(world.users["business_admin"])
    url = f"/api/v1/businesses/{world.a.id}/items/"
    base = {"kind": "cost", "supplier": "Paper Co", "date": "2026-11-02", "total": "10.00"}
    ok = client.post(url, {**base, "category_id": str(entry(xero, A, "429").id)}, format="json")
    assert ok.status_code == 201 and ok.json()["state"] == "ready"
    for wrong in (entry(bill, A, "429").id, entry(xero, T, "INPUT2").id, "not-an-id"):
        refused = client.post(url, {**base, "category_id": str(wrong)}, format="json")
        assert refused.status_code == 400 and refused.json()["code"] == "invalid_reference", wrong
    assert Item.objects.for_business(world.a).count() == 1, "a refused item is not saved"


def test_editing_the_words_matches_them_again(world, ledgers):
    xero, _ = ledgers
    item = cost(world, category="999")
    item = item_update(business=world.a, actor=None, item_id=item.pk, changes={"category": "Advertising"})
    assert (item.category, item.state) == ("400", ItemState.READY)


def test_a_paid_item_needs_a_payment_account_where_the_ledger_keeps_them(world, ledgers):
    xero, bill = ledgers
    unpaid_from = cost(world, paid=True)
    assert unpaid_from.state == ItemState.TO_REVIEW
    assert [p["field"] for p in item_problems(unpaid_from, coding_context(world.a))] == ["payment_method"]
    item = item_update(business=world.a, actor=None, item_id=unpaid_from.pk, changes={"payment_method": "Company card"})
    assert item.state == ItemState.READY and item.payment_account_entry == entry(xero, P, "Company card")


def test_lists_still_syncing_say_so(world, ledgers):
    from integrations.lists.models import ConnectionLists

    xero, _ = ledgers
    ConnectionLists.objects.for_business(world.a).filter(connection=xero).update(synced_at=None)
    ListEntry.objects.for_business(world.a).filter(connection=xero).delete()
    item = cost(world)
    assert item.state == ItemState.TO_REVIEW
    [problem] = item_problems(item, coding_context(world.a))
    assert problem["detail"] == "Xero's lists are still syncing; the category can be chosen once they are in."


def test_a_sync_that_archives_an_entry_sends_its_items_back_to_review(world, ledgers):
    from integrations import events

    xero, _ = ledgers
    item = cost(world, category="485")
    assert item.state == ItemState.READY
    ListEntry.objects.for_business(world.a).filter(connection=xero, code="485").update(active=False)
    events.lists_synced(connection=xero)
    item.refresh_from_db()
    assert item.state == ItemState.TO_REVIEW
    assert "no longer active in Xero" in item_problems(item, coding_context(world.a))[0]["detail"]


def test_a_supplier_rule_codes_against_its_integrations_list_and_is_carried_elsewhere(world, ledgers):
    from publishing.services import supplier_rule_create

    xero, bill = ledgers
    supplier = supplier_get_or_create(business=world.a, name="Ads Co")
    rule = supplier_rule_create(
        business=world.a, actor=None, supplier_id=supplier.pk, integration_id=bill.pk, category="Advertising"
    )
    assert rule.category_entry == entry(bill, A, "6200"), "the rule's words are read against Bill.com's list"
    item = item_create(business=world.a, actor=None, kind="cost", contact_name="Ads Co", date="2026-11-02", total="5")
    assert (item.integration_id, item.category_entry, item.state) == (bill.id, entry(bill, A, "6200"), ItemState.READY)
    item_set_integration(business=world.a, actor=None, item_id=item.pk, connection_id=xero.pk)
    item.refresh_from_db()
    assert item.category_entry == entry(xero, A, "400"), "carried to Xero by name"


# ---------------------------------------------------------------- parity: one rule, two languages


CASES = list(
    itertools.product(
        [None, "xero", "bill"],  # integration
        [True, False],  # supplier
        [None, Decimal("5.00")],  # total
        ["", "429", "999", "477"],  # category words (ok, unknown, archived)
        ["", "INPUT2", "17.5% (old VAT)"],  # tax rate words
        [False, True],  # paid
        ["", "Company card", "Nowhere card"],  # payment account words
    )
)


def test_the_sql_state_and_the_python_problems_agree_on_every_case(world, ledgers):
    """The statement that sets the state and item_problems decide readiness from one specification: on every
    combination of the cases, an item is ready exactly when Python finds no problem."""
    xero, bill = ledgers
    target = {None: None, "xero": xero, "bill": bill}
    supplier = supplier_get_or_create(business=world.a, name="Parity Co")
    items = [
        Item(
            business=world.a,
            kind="cost",
            supplier=supplier if has_supplier else None,
            date="2026-11-02",
            total=total,
            category=category,
            tax_rate=tax,
            paid=paid,
            payment_method=payment,
            integration=target[integration],
            state=ItemState.TO_REVIEW,
        )
        for integration, has_supplier, total, category, tax, paid, payment in CASES
    ]
    Item.objects.bulk_create(items)
    items_recode(business=world.a)
    context = coding_context(world.a)
    rows = (
        Item.objects.for_business(world.a)
        .filter(pk__in=[i.pk for i in items])
        .select_related("category_entry", "tax_rate_entry", "payment_account_entry")
    )
    disagree = [
        (r.integration_id, r.category, r.tax_rate, r.paid, r.payment_method, r.state, item_problems(r, context))
        for r in rows
        if (r.state == ItemState.READY) != (item_problems(r, context) == [])
    ]
    assert not disagree, f"{len(disagree)} of {len(CASES)} cases disagree, e.g. {disagree[:3]}"
    assert {r.state for r in rows} == {ItemState.READY, ItemState.TO_REVIEW}, "the cases cover both answers"
    assert len(STANDARD) > 0


def test_the_item_json_carries_its_coding_and_its_problems(world, ledgers, api_as):
    xero, _ = ledgers
    client = api_as(world.users["standard"])
    url = f"/api/v1/businesses/{world.a.id}/items/"
    body = client.post(
        url,
        {"kind": "cost", "supplier": "Paper Co", "date": "2026-11-02", "total": "1", "category": "General Expenses"},
        format="json",
    ).json()
    assert body["category"] == "429", "the entry's code, not the words given"
    assert body["category_id"] == str(entry(xero, A, "429").id) and body["tax_rate_id"] is None
    assert body["problems"] == [] and body["state"] == "ready"
    later = client.patch(f"{url}{body['id']}/", {"category": "Nope", "tax_rate": "20%"}, format="json").json()
    assert later["state"] == "to_review" and later["category_id"] is None
    assert [p["field"] for p in later["problems"]] == ["category", "tax_rate"]
    listed = client.get(f"{url}?state=to_review").json()["results"]
    assert listed[0]["problems"] == later["problems"]


def test_a_sale_to_a_ledger_whose_invoice_lines_name_products_is_coded_from_its_products(world, connect):
    """QuickBooks Desktop's invoice lines name an item, never an account: a sale's category comes from its products."""
    qbd = connect(world.a, "quickbooks_desktop")
    sale = item_create(
        business=world.a,
        actor=None,
        kind="sales",
        contact_name="Bluebell",
        date="2026-11-02",
        total="9",
        category="Services",
    )
    assert sale.state == ItemState.READY and sale.category_entry == entry(qbd, ListKind.PRODUCTS, "Services")
    by_account = item_create(
        business=world.a,
        actor=None,
        kind="sales",
        contact_name="Bluebell",
        date="2026-11-02",
        total="9",
        category="200 Sales",
    )
    assert by_account.state == ItemState.TO_REVIEW, "an account is no invoice line's item there"
    [problem] = item_problems(by_account, coding_context(world.a))
    assert problem["field"] == "category" and "QuickBooks Desktop" in problem["detail"]
