"""Coding on the pages: the searchable picker (its options by code or name, the current entry kept in view), the
item page saving an entry, the inbox's Category cell edited inline, the To review badge saying what is missing."""

from html import unescape

import pytest

from integrations.lists.models import ListEntry, ListKind
from integrations.lists.source import Pass
from integrations.providers.bill_com import BillCom
from integrations.providers.xero import Xero
from publishing.models import Item, ItemState
from publishing.services import item_create
from tests.lists import entry

A, T, P = ListKind.ACCOUNTS, ListKind.TAX_RATES, ListKind.PAYMENT_ACCOUNTS


@pytest.fixture
def xero(world, connect, monkeypatch):
    monkeypatch.setattr(Xero, "list_passes", (Pass(A, (A, P)), Pass(T, (T,))), raising=False)
    monkeypatch.setattr(BillCom, "list_passes", (Pass(A, (A,)),), raising=False)
    return connect(world.a, "xero")


def cost(world, **fields):
    values = {"date": "2026-11-02", "total": "10.00", "category": "429", **fields}
    return item_create(business=world.a, actor=None, kind="cost", contact_name="Paper Co", **values)


def test_the_picker_finds_entries_by_code_or_name_and_keeps_the_current_one(client, world, xero):
    client.force_login(world.users["standard"])
    url = f"/b/{world.a.id}/lists/{xero.id}/category/options/"
    current = entry(xero, A, "429")
    html = unescape(
        client.get(url, {"q": "adv", "category_id": str(current.id), "usage": "purchases"}).content.decode()
    )
    assert html.index("Not set") < html.index("429 General Expenses") < html.index("400 Advertising")
    assert "200 Sales" not in html, "a cost picks from the accounts for purchases"
    assert "477 Salaries" not in html, "archived accounts are not offered"
    by_code = client.get(url, {"q": "46"}).content.decode()
    assert "461 Printing &amp; Stationery" in by_code
    taxes = unescape(client.get(f"/b/{world.a.id}/lists/{xero.id}/tax_rate/options/", {"q": "20%"}).content.decode())
    assert "20% (VAT on Expenses)" in taxes


def test_another_tenants_lists_are_not_offered(client, world, xero, connect):
    theirs = connect(world.b, "xero")
    client.force_login(world.users["business_admin"])
    assert client.get(f"/b/{world.a.id}/lists/{theirs.id}/category/options/").status_code == 404
    assert client.get(f"/b/{world.b.id}/lists/{theirs.id}/category/options/").status_code == 404
    assert client.get(f"/b/{world.a.id}/lists/{xero.id}/nonsense/options/").status_code == 404


def test_the_item_page_codes_from_the_pickers(client, world, xero):
    item = cost(world, category="nothing known")
    client.force_login(world.users["standard"])
    page = client.get(f"/b/{world.a.id}/items/{item.id}/").content.decode()
    assert 'data-testid="picker-category"' in page and 'name="category_id"' in page
    assert "Xero&#x27;s list has no category" in page
    form = {
        "contact_name": "Paper Co",
        "date": "2026-11-02",
        "total": "10.00",
        "currency": "GBP",
        "category_id": str(entry(xero, A, "400").id),
        "tax_rate_id": str(entry(xero, T, "INPUT2").id),
        "payment_account_id": "",
    }
    answer = client.post(f"/b/{world.a.id}/items/{item.id}/", form)
    assert answer.status_code == 302, answer.content
    item.refresh_from_db()
    assert (item.category, item.tax_rate, item.state) == ("400", "INPUT2", ItemState.READY)


def test_the_inbox_category_cell_opens_a_picker_and_saves_inline(client, world, xero):
    item = cost(world, category="nothing known")
    client.force_login(world.users["standard"])
    inbox = client.get(f"/b/{world.a.id}/costs/").content.decode()
    assert 'data-testid="category-button"' in inbox
    assert unescape("Xero's list has no category") in unescape(inbox), "the To review badge says what is missing"
    cell = client.get(f"/b/{world.a.id}/items/{item.id}/category/", HTTP_HX_REQUEST="true").content.decode()
    assert 'name="category_id"' in cell and "Search Xero" in unescape(cell)
    saved = client.post(
        f"/b/{world.a.id}/items/{item.id}/category/",
        {"category_id": str(entry(xero, A, "429").id)},
        HTTP_HX_REQUEST="true",
    )
    assert saved.status_code == 200 and 'data-testid="category-saved"' in saved.content.decode()
    assert "Saved: category 429" in saved["HX-Trigger"]
    item.refresh_from_db()
    assert item.state == ItemState.READY and item.category_entry == entry(xero, A, "429")


def test_another_ledgers_entry_is_refused_in_the_cell(client, world, xero, connect):
    bill = connect(world.a, "bill_com")
    item = cost(world)
    client.force_login(world.users["standard"])
    answer = client.post(f"/b/{world.a.id}/items/{item.id}/category/", {"category_id": str(entry(bill, A, "429").id)})
    assert 'data-testid="category-refusal"' in answer.content.decode()
    assert "Not saved" in answer["HX-Trigger"]
    item.refresh_from_db()
    assert item.category_entry == entry(xero, A, "429"), "nothing changed"


def test_a_published_item_cell_is_not_editable(client, world, xero):
    item = cost(world)
    Item.objects.for_business(world.a).filter(pk=item.pk).update(state=ItemState.PUBLISHED)
    client.force_login(world.users["standard"])
    assert 'data-testid="category-button"' not in client.get(f"/b/{world.a.id}/costs/?tab=published").content.decode()
    assert ListEntry.objects.for_business(world.a).exists()


def test_a_supplier_rule_is_coded_from_its_integrations_lists(client, world, xero, connect):
    from publishing.models import SupplierRule

    bill = connect(world.a, "bill_com")
    client.force_login(world.users["business_admin"])
    form = client.get(f"/b/{world.a.id}/settings/supplier-rules/new/").content.decode()
    assert 'data-testid="picker-category"' in form, "the default integration's (Xero's) chart"
    answer = client.post(
        f"/b/{world.a.id}/settings/supplier-rules/new/",
        {"supplier_name": "Ads Co", "integration": "", "category_id": str(entry(xero, A, "400").id)},
    )
    assert answer.status_code == 302, answer.content
    rule = SupplierRule.objects.for_business(world.a).get(supplier__name="Ads Co")
    assert rule.category_entry == entry(xero, A, "400")
    # The rule now sends Ads Co to Bill.com: the same name is found in Bill.com's chart.
    moved = client.post(
        f"/b/{world.a.id}/settings/supplier-rules/{rule.id}/",
        {"supplier_name": "Ads Co", "integration": str(bill.id), "category_id": str(entry(xero, A, "400").id)},
    )
    assert moved.status_code == 302, moved.content
    rule.refresh_from_db()
    assert rule.category_entry == entry(bill, A, "400"), "found again by its code in Bill.com's chart"


def test_choosing_another_integration_on_the_rule_form_shows_its_lists_at_once(client, world, xero, connect):
    """The pickers follow the Integration select (htmx asks the page again with ?integration=): Bill.com's chart,
    then an entry picked there is stored as is, not carried over as if it came from the default's lists."""
    from integrations.services import publishing_defaults_set
    from publishing.models import SupplierRule

    bill = connect(world.a, "bill_com")
    publishing_defaults_set(business=world.a, actor=None, default_publishing_connection=xero.id)
    client.force_login(world.users["business_admin"])
    page = f"/b/{world.a.id}/settings/supplier-rules/new/"
    shown = client.get(page).content.decode()
    assert "Xero's accounts" in shown and f'name="pickers_from" value="{xero.id}"' in shown
    assert 'hx-get="' + page + '"' in shown and 'hx-select="#rule-coding"' in shown
    swapped = client.get(page, {"integration": str(bill.id)}, HTTP_HX_REQUEST="true").content.decode()
    assert "From Bill.com's" in swapped and f'name="pickers_from" value="{bill.id}"' in swapped
    # Another business's connection is no choice: the default's lists stay.
    other = connect(world.b, "xero")
    assert f'value="{xero.id}"' in client.get(page, {"integration": str(other.id)}).content.decode()

    picked = entry(bill, A, "400")
    answer = client.post(
        page,
        {
            "supplier_name": "Ads Co",
            "integration": str(bill.id),
            "pickers_from": str(bill.id),
            "category_id": str(picked.id),
        },
    )
    assert answer.status_code == 302, answer.content
    rule = SupplierRule.objects.for_business(world.a).get(supplier__name="Ads Co")
    assert (rule.integration_id, rule.category_entry) == (bill.id, picked)
