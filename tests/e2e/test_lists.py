"""Coding from the ledgers' lists in a real browser (issue 10): an item moved to another integration in the Costs
inbox keeps its category when the new ledger has the same code or name, and is cleared and sent to To review,
saying which list to choose from, when it has not; a category picked from the searchable picker (type, arrow keys,
Enter) on the item page and in the inbox's Category cell makes the item ready."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from publishing.models import Item, ItemState
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import Ledgers, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _signed_in(page, ledgers: Ledgers, path: str):
    sign_in(page, "admin@acme.test")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(ledgers.url(path))


def test_moving_items_to_another_ledger_maps_their_category_or_sends_them_to_review(page, shot, ledgers):
    ads = ledgers.cost("400 Advertising", "Printworks Studio")
    paper = ledgers.cost("461", "Office Supplies Co")
    assert Item.objects.for_business(ledgers.business).filter(state=ItemState.READY).count() == 2
    _signed_in(page, ledgers, "costs/?tab=ready")

    # The same name in Bill.com's chart: the category follows, the item stays ready.
    row = page.locator(f"#item-{ads.id}")
    row.get_by_test_id("integration-select").select_option(label="Bill.com")
    expect(row.get_by_test_id("integration-saved")).to_be_visible()
    expect(row.get_by_test_id("state-badge")).to_have_text("Ready")
    expect(row.get_by_test_id("category-button")).to_have_text("Advertising")
    ads.refresh_from_db()
    assert ads.category_entry.connection_id == ledgers.bill.id and ads.state == ItemState.READY

    # No such code or name there: cleared, To review, and the badge says which list to choose from.
    row = page.locator(f"#item-{paper.id}")
    row.get_by_test_id("integration-select").select_option(label="Bill.com")
    expect(row.get_by_test_id("integration-saved")).to_be_visible()
    badge = row.get_by_test_id("state-badge")
    expect(badge).to_have_text("To review")
    expect(badge).to_have_attribute("title", re.compile(r"Choose a category from Bill\.com's list\."))
    expect(row.get_by_test_id("category-button")).to_have_text("Choose…")
    shot("lists-1-moved")
    paper.refresh_from_db()
    assert (paper.state, paper.category, paper.category_entry) == (ItemState.TO_REVIEW, "", None)
    assert_accessible(page, "costs inbox after moving items between ledgers")


def _pick(page, combobox, typed: str, label: str):
    """Type in a picker, arrow down to ``label`` among the answers, choose it with Enter."""
    combobox.click()
    combobox.fill("")
    page.keyboard.type(typed)
    listbox = page.locator(f"#{combobox.get_attribute('aria-controls')}")
    expect(listbox.get_by_role("option", name=label, exact=True)).to_be_visible()
    expect(combobox).to_have_attribute("aria-expanded", "true")
    names = listbox.get_by_role("option").all_inner_texts()
    for _ in range(names.index(label) + 1):
        page.keyboard.press("ArrowDown")
    active = combobox.get_attribute("aria-activedescendant")
    expect(page.locator(f"#{active}")).to_have_text(label)
    page.keyboard.press("Enter")
    expect(combobox).to_have_attribute("aria-expanded", "false")
    expect(combobox).to_have_value(label)


def test_a_category_picked_on_the_item_page_makes_the_item_ready(page, shot, ledgers):
    item = ledgers.cost("", "Printworks Studio")
    assert item.state == ItemState.TO_REVIEW
    _signed_in(page, ledgers, f"items/{item.id}/")
    picker = page.get_by_test_id("picker-category")
    _pick(page, picker.get_by_role("combobox"), "adv", "400 Advertising")
    shot("lists-2-item-picked")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_test_id("state-badge").first).to_have_text("Ready")
    item.refresh_from_db()
    assert item.state == ItemState.READY and item.category_entry.code == "400"
    assert item.category_entry.connection_id == ledgers.xero.id


def test_a_category_picked_in_the_inbox_cell_makes_the_item_ready(page, shot, ledgers):
    item = ledgers.cost("", "Printworks Studio")
    _signed_in(page, ledgers, "costs/?tab=to_review")
    row = page.locator(f"#item-{item.id}")
    row.get_by_test_id("category-button").click()
    combobox = row.get_by_test_id("picker-category").get_by_role("combobox")
    _pick(page, combobox, "stat", "461 Printing & Stationery")
    shot("lists-3-cell-picked")
    page.keyboard.press("Enter")  # the second Enter sends the cell's form
    expect(row.get_by_test_id("category-saved")).to_be_visible()
    expect(page.get_by_test_id("live-status")).to_have_text("Saved: category 461.")
    expect(row.get_by_test_id("state-badge")).to_have_text("Ready")
    item.refresh_from_db()
    assert item.state == ItemState.READY and item.category_entry.code == "461"
