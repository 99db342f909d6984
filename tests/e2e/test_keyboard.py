"""Keyboard only (issue 15): change an item's integration inline and publish it with Tab, Enter, Space and the
arrow keys; every result is read out from the page's live region and the focus stays where the person was."""

import re

import pytest
from playwright.sync_api import expect

from accounts.demo import seed_accounts
from integrations.demo import seed_connections
from integrations.models import Connection
from integrations.sandbox import selectors as sandbox
from publishing.demo import seed_items
from publishing.models import IntegrationSource, Item, ItemHistory, ItemKind, ItemState
from tests.e2e.axe import assert_accessible
from tests.e2e.keyboard import assert_focus_visible, is_focused, tab_to

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def acme(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    seed_accounts()
    seed_connections()
    seed_items()
    return {c.provider: c for c in Connection.objects.unscoped().filter(business__name="Acme Trading Ltd")}


def _sign_in_with_the_keyboard(page, email: str):
    page.goto("/accounts/login/")
    tab_to(page, page.locator("input[name=login]"))
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type("dext-demo-pass")
    page.keyboard.press("Enter")


def _arrow_to(page, select, label: str):
    """Move a closed <select> to the option ``label`` with the arrow keys (each press is a change)."""
    labels = select.locator("option").all_inner_texts()
    steps = labels.index(label) - select.evaluate("el => el.selectedIndex")
    for _ in range(abs(steps)):
        page.keyboard.press("ArrowDown" if steps > 0 else "ArrowUp")


def _wait_for_focus_on(page, element_id: str):
    page.wait_for_function("id => document.activeElement && document.activeElement.id === id", arg=element_id)


def test_change_the_integration_and_publish_with_the_keyboard_alone(celery_worker, page, shot, acme):
    live = page.get_by_test_id("live-status")
    target = (
        Item.objects.unscoped()
        .filter(business__name="Acme Trading Ltd", kind=ItemKind.COST, state=ItemState.READY)
        .filter(integration__provider="bill_com", last_publish_error=None)
        .order_by("-created_at", "-id")
        .first()
    )
    _sign_in_with_the_keyboard(page, "admin@acme.test")
    expect(page.get_by_role("heading", name="Costs inbox")).to_be_visible()

    # The first Tab reaches the skip link, shown on focus; Enter moves the focus to the page's main content.
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    assert is_focused(skip)
    expect(skip).to_be_in_viewport()
    assert_focus_visible(page)
    page.keyboard.press("Enter")
    _wait_for_focus_on(page, "main")

    # The Ready tab, a link in the status tabs.
    tab_to(page, page.get_by_test_id("tab-ready"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"tab=ready"))
    expect(page.get_by_test_id("tab-ready")).to_have_attribute("aria-current", "page")

    # The row's Integration: arrow keys on the closed select, only the last choice is saved.
    row = page.locator(f"#item-{target.id}")
    select = row.get_by_test_id("integration-select")
    tab_to(page, select)
    _arrow_to(page, select, "Xero")
    expect(row.get_by_test_id("integration-saved")).to_be_visible()
    expect(live).to_have_text(re.compile(r"^Saved: .* goes to Xero \(chosen by Jane Acme\)\.$"))
    _wait_for_focus_on(page, f"integration-{target.id}")  # the focus is back on the new row's select
    assert_focus_visible(page)
    target.refresh_from_db()
    assert target.integration.provider == "xero" and target.integration_source == IntegrationSource.MANUAL
    changes = ItemHistory.objects.for_business(target.business_id).filter(item=target, field="integration")
    assert changes.count() == 2, "the integration set on upload, then this one change"
    shot("keyboard-1-saved")
    assert_accessible(page, "costs inbox after an inline save")

    # Back along the row to its tick box (Space), then up to the bulk bar's Publish (Enter).
    tab_to(page, row.locator(".row-check"), backwards=True)
    page.keyboard.press("Space")
    expect(page.get_by_test_id("bulk-count")).to_have_text("1 selected")
    tab_to(page, page.get_by_test_id("bulk-bar").get_by_role("button", name="Publish"), backwards=True)
    page.keyboard.press("Enter")
    expect(live).to_have_text("1 item queued for publishing.")
    shot("keyboard-2-queued")

    # The row polls itself until Xero has the document, and says so.
    expect(row.get_by_test_id("state-badge")).to_have_text("Published", timeout=30_000)
    expect(live).to_have_text(re.compile(r"^Published to Xero: .*\.$"))
    shot("keyboard-3-published")
    target.refresh_from_db()
    assert target.state == ItemState.PUBLISHED
    assert [d["reference"] for d in sandbox.documents_list(provider="xero")].count(str(target.pk)) == 1
    assert_accessible(page, "costs inbox after publishing")


def test_item_page_integration_with_the_keyboard_saves_and_refuses_out_loud(page, shot, acme):
    live = page.get_by_test_id("live-status")
    business = acme["xero"].business
    items = Item.objects.for_business(business).filter(state=ItemState.READY).order_by("-created_at", "-id")
    cost = items.filter(kind=ItemKind.COST, integration=acme["bill_com"]).first()
    sale = items.filter(kind=ItemKind.SALES).first()
    _sign_in_with_the_keyboard(page, "admin@acme.test")
    expect(page.get_by_role("heading", name="Costs inbox")).to_be_visible()

    page.goto(f"/b/{business.id}/items/{cost.id}/")
    select = page.locator("#integration-select")
    tab_to(page, select)
    _arrow_to(page, select, "Xero")
    expect(page.get_by_test_id("integration-saved")).to_have_text("Saved.")
    expect(live).to_have_text(re.compile(r"^Saved: .* goes to Xero \(chosen by Jane Acme\)\.$"))
    _wait_for_focus_on(page, "integration-select")
    assert_focus_visible(page)
    cost.refresh_from_db()
    assert cost.integration_id == acme["xero"].id
    assert_accessible(page, "item details after an inline save")

    # A sale cannot leave the main connection: refused in place and out loud; the choice stays on Xero.
    page.goto(f"/b/{business.id}/items/{sale.id}/")
    tab_to(page, select)
    _arrow_to(page, select, "Bill.com")
    expect(page.get_by_test_id("integration-refusal")).to_contain_text("Sales always go to the main")
    expect(live).to_have_text(re.compile(r"^Not saved: Sales always go to the main accounting software"))
    _wait_for_focus_on(page, "integration-select")
    expect(select).to_have_value(str(acme["xero"].id))
    shot("keyboard-4-refused")
    assert_accessible(page, "item details after a refusal")


def test_deleting_a_supplier_rule_asks_first_then_says_it_is_done(page, acme):
    questions = []

    def answer(dialog):
        questions.append(dialog.message)
        if len(questions) == 1:
            dialog.dismiss()
        else:
            dialog.accept()

    page.on("dialog", answer)
    _sign_in_with_the_keyboard(page, "admin@acme.test")
    expect(page.get_by_role("heading", name="Costs inbox")).to_be_visible()
    page.goto(f"/b/{acme['xero'].business_id}/settings/supplier-rules/")
    rule = page.get_by_test_id("rule-row").filter(has_text="Google Workspace")
    delete = page.get_by_role("button", name="Delete the rule for Google Workspace")

    tab_to(page, delete)
    page.keyboard.press("Enter")  # the first answer is Cancel: nothing is deleted
    expect(rule).to_have_count(1)
    tab_to(page, delete)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("live-status")).to_have_text("Supplier rule for Google Workspace deleted.")
    expect(rule).to_have_count(0)
    assert questions == ["Delete the rule for Google Workspace?"] * 2


def _choose_with_the_keyboard(page, combobox, typed: str, label: str):
    """In a picker that has the focus: type, arrow down to ``label``, Enter; the choice is read out."""
    page.keyboard.type(typed)
    listbox = page.locator(f"#{combobox.get_attribute('aria-controls')}")
    expect(listbox.get_by_role("option", name=label, exact=True)).to_be_visible()
    for _ in range(listbox.get_by_role("option").all_inner_texts().index(label) + 1):
        page.keyboard.press("ArrowDown")
    expect(page.locator(f"#{combobox.get_attribute('aria-activedescendant')}")).to_have_text(label)
    assert is_focused(combobox), "the focus stays in the text box while the arrows move through the list"
    page.keyboard.press("Enter")
    expect(combobox).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_test_id("live-status")).to_have_text(f"Category: {label} chosen.")


def test_pick_a_category_with_the_keyboard_alone_in_the_inbox_and_on_the_item_page(page, shot, ledgers):
    live = page.get_by_test_id("live-status")
    in_cell, on_page = ledgers.cost("", "Printworks Studio"), ledgers.cost("", "Swift Couriers")
    _sign_in_with_the_keyboard(page, "admin@acme.test")
    expect(page.get_by_role("heading", name="Costs inbox")).to_be_visible()

    # The inbox's Category cell: Enter on the row's Category button opens the picker with the focus in it.
    row = page.locator(f"#item-{in_cell.id}")
    tab_to(page, row.get_by_test_id("category-button"))
    page.keyboard.press("Enter")
    combobox = row.get_by_test_id("picker-category").get_by_role("combobox")
    expect(combobox).to_be_focused()
    assert_focus_visible(page)
    _choose_with_the_keyboard(page, combobox, "stat", "461 Printing & Stationery")
    shot("keyboard-5-category-chosen")
    page.keyboard.press("Enter")  # the second Enter saves
    expect(live).to_have_text("Saved: category 461.")
    expect(row.get_by_test_id("state-badge")).to_have_text("Ready")
    _wait_for_focus_on(page, f"category-{in_cell.id}")  # back on the row's Category button
    assert_focus_visible(page)
    in_cell.refresh_from_db()
    assert in_cell.state == ItemState.READY and in_cell.category_entry.code == "461"
    assert_accessible(page, "costs inbox after a category chosen with the keyboard")

    # The item page: Tab to the Category picker, choose, Tab to Save, Enter.
    page.goto(ledgers.url(f"items/{on_page.id}/"))
    combobox = page.get_by_test_id("picker-category").get_by_role("combobox")
    tab_to(page, combobox)
    _choose_with_the_keyboard(page, combobox, "adv", "400 Advertising")
    tab_to(page, page.get_by_role("button", name="Save", exact=True))
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("state-badge").first).to_have_text("Ready")
    on_page.refresh_from_db()
    assert on_page.state == ItemState.READY and on_page.category_entry.code == "400"
