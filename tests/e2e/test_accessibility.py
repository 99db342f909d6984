"""Every page a business admin and a practice admin reach, in each of its states, has no axe violation
of WCAG 2.0/2.1 A and AA (issue 15), and works under the strict Content-Security-Policy the product is
meant to send. A new page joins by adding one entry to ``PAGES``: a function that signs in and opens it."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from accounts.demo import seed_accounts
from accounts.models import Business, User
from integrations.demo import seed_connections
from integrations.lists.models import ConnectionLists, ListSyncStatus
from integrations.lists.sync import lists_sync_begin
from integrations.models import Connection
from integrations.services import connection_mark_needs_reconnect
from publishing.demo import seed_items
from publishing.demo_published import seed_published_examples
from publishing.models import Item, ItemKind, ItemState
from publishing.pipeline import items_publish
from publishing.services import item_archive
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import Ledgers, sign_in
from tests.e2e.csp import watch_csp

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ACME_ADMIN = "admin@acme.test"


@dataclass
class Demo:
    acme: Business
    initech: Business

    def items(self, **filters):
        return Item.objects.for_business(self.acme).filter(**filters).order_by("-created_at", "-id")

    def connection(self, provider: str) -> Connection:
        return Connection.objects.for_business(self.acme).get(provider=provider)

    def url(self, path: str, business: Business | None = None) -> str:
        return f"/b/{(business or self.acme).id}/{path}"


@pytest.fixture
def demo(settings, tmp_path) -> Demo:
    """The whole demo of ``make run``, plus one queued and one archived item."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    seed_accounts()
    seed_connections()
    seed_items()
    seed_published_examples()
    acme = Business.objects.get(name="Acme Trading Ltd")
    admin = User.objects.get(email=ACME_ADMIN)
    ready = Item.objects.for_business(acme).filter(kind=ItemKind.COST, state=ItemState.READY, last_publish_error=None)
    queued, archived = ready.order_by("created_at")[:2]
    items_publish(business=acme, item_ids=[queued.pk], actor=admin, dispatch=False)
    item_archive(business=acme, actor=admin, item_id=archived.pk)
    return Demo(acme=acme, initech=Business.objects.get(name="Initech"))


def _signed_in(page, email: str):
    """Sign in and wait until the sign-in page is left (a page opened sooner would be the sign-in page again)."""
    sign_in(page, email)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def _open(page, url: str):
    page.goto(url)
    expect(page).to_have_url(re.compile(re.escape(url.split("?")[0])))


def _item_page(page, demo: Demo, **filters):
    item = demo.items(kind=ItemKind.COST, **filters).first()
    assert item is not None, filters
    _signed_in(page, ACME_ADMIN)
    _open(page, demo.url(f"items/{item.id}/"))


def _as_admin(path: str, email: str = ACME_ADMIN, business: str = "acme"):
    def visit(page, demo: Demo):
        _signed_in(page, email)
        _open(page, demo.url(path, getattr(demo, business)))

    return visit


def _login(page, demo):
    page.goto("/accounts/login/")


def _switch(page, demo):
    _signed_in(page, "practice.admin@northwind.test")
    expect(page.get_by_role("heading", name="Choose an account")).to_be_visible()


def _needs_reconnect(page, demo):
    connection_mark_needs_reconnect(connection=demo.connection("xero"), reason="Xero refused the refresh token.")
    _as_admin("settings/connections/")(page, demo)
    expect(page.get_by_test_id("reconnect-banner")).to_be_visible()


def _choose_provider(page, demo):
    _as_admin("settings/connections/", "admin@initech.test", "initech")(page, demo)
    page.get_by_role("button", name="Connect", exact=True).click()
    expect(page.get_by_role("button", name="Connect Xero")).to_be_visible()


def _consent(page, demo):
    _choose_provider(page, demo)
    page.get_by_role("button", name="Connect Xero").click()
    expect(page.get_by_role("button", name="Allow access")).to_be_visible()


def _bill_com_refused(page, demo):
    _as_admin("settings/connections/connect/bill_com/")(page, demo)
    for field, value in (("organization_id", "sandbox-org"), ("dev_key", "k"), ("username", "x"), ("password", "y")):
        page.fill(f"#id_{field}", value)
    page.get_by_role("button", name="Connect Bill.com").click()
    expect(page.get_by_test_id("credentials-error")).to_be_visible()


def _disconnect(provider: str):
    def visit(page, demo):
        _as_admin(f"settings/connections/{demo.connection(provider).id}/disconnect/")(page, demo)

    return visit


def _rule_edit(page, demo):
    _as_admin("settings/supplier-rules/")(page, demo)
    page.get_by_role("link", name="Office Supplies Co", exact=True).click()
    expect(page.get_by_role("heading", name="Rule for Office Supplies Co")).to_be_visible()


def _switcher_open(page, demo):
    _switch(page, demo)
    page.get_by_test_id("clients").get_by_role("link", name=re.compile("^Acme Trading Ltd")).click()
    expect(page.get_by_test_id("current-business")).to_have_text("Acme Trading Ltd")
    page.locator("#org-switcher").click()
    expect(page.get_by_test_id("client-globex-corporation")).to_be_visible()


def _item_with_pdf(page, demo):
    item = demo.items(kind=ItemKind.COST, attachment__endswith=".pdf").first()
    _signed_in(page, ACME_ADMIN)
    _open(page, demo.url(f"items/{item.id}/"))
    expect(page.get_by_test_id("attachment-pdf")).to_be_visible()


def _upload_invalid(page, demo):
    _as_admin("upload/")(page, demo)
    page.get_by_role("button", name="Upload").click()
    expect(page.locator("#id_attachment_error")).to_be_visible()
    expect(page.locator("#id_attachment")).to_be_focused()  # the first field to fix, described by its error


def _choose_organisation(page, demo):
    _consent(page, demo)
    page.get_by_role("checkbox").nth(1).check()
    page.get_by_role("button", name="Allow access").click()
    expect(page.get_by_role("heading", name=re.compile("Which Xero organisation"))).to_be_visible()


def _oauth_denied(page, demo):
    _consent(page, demo)
    page.get_by_role("button", name="Deny").click()
    expect(page.get_by_test_id("oauth-error")).to_be_visible()


def _web_connector(page, demo):
    _choose_provider(page, demo)
    page.get_by_role("button", name="Connect QuickBooks Desktop").click()
    expect(page.get_by_test_id("web-connector-credentials")).to_be_visible()


def _rule_invalid(page, demo):
    _as_admin("settings/supplier-rules/new/")(page, demo)
    page.get_by_role("button", name="Save rule").click()
    expect(page.locator("#id_supplier_name_error")).to_be_visible()
    supplier = page.locator("#id_supplier_name")
    expect(supplier).to_be_focused()
    expect(supplier).to_have_attribute("aria-describedby", re.compile("id_supplier_name_error"))


def _month_end(page, demo):
    """In flight: the demo has one of Acme's items queued, so the table refreshes itself while axe looks."""
    _signed_in(page, "practice.admin@northwind.test")
    _open(page, "/practice/month-end/")
    expect(page.get_by_test_id("month-end-body")).to_have_attribute("data-polling", "1")


def _month_end_empty(page, demo):
    """A Standard practice user with no client assigned yet: the page's empty state."""
    from accounts.models import Practice, PracticeRole
    from accounts.services import practice_member_add
    from tests.factories import PASSWORD, UserFactory

    user = UserFactory(email="new.bookkeeper@northwind.test")
    practice_member_add(
        practice=Practice.objects.get(name="Northwind Bookkeeping"), user=user, role=PracticeRole.STANDARD
    )
    sign_in(page, user.email, PASSWORD)
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    _open(page, "/practice/month-end/")
    expect(page.get_by_test_id("month-end-empty")).to_be_visible()


def _month_end_idle(page, demo):
    """Nothing queued or publishing: no polling, the summary says so."""
    Item.objects.for_business(demo.acme).filter(state=ItemState.QUEUED).update(state=ItemState.READY)
    _signed_in(page, "practice.admin@northwind.test")
    _open(page, "/practice/month-end/")
    expect(page.get_by_test_id("month-end-summary")).to_contain_text("Nothing publishing")


PAGES = {
    "login": _login,
    "switch": _switch,
    "switcher-open": _switcher_open,
    "costs-to-review": _as_admin("costs/?tab=to_review"),
    "costs-ready": _as_admin("costs/?tab=ready"),
    "costs-published": _as_admin("costs/?tab=published"),
    "costs-archived": _as_admin("costs/?tab=archived"),
    "costs-filtered-empty": _as_admin("costs/?tab=ready&q=nothing-matches-this"),
    "sales": _as_admin("sales/?tab=ready"),
    "expense-claims": _as_admin("expense-claims/?tab=ready"),
    "item-to-review": lambda page, demo: _item_page(page, demo, state=ItemState.TO_REVIEW),
    "item-ready": lambda page, demo: _item_page(page, demo, state=ItemState.READY, last_publish_error=None),
    "item-queued": lambda page, demo: _item_page(page, demo, state=ItemState.QUEUED),
    "item-published": lambda page, demo: _item_page(page, demo, state=ItemState.PUBLISHED),
    "item-failed": lambda page, demo: _item_page(page, demo, last_publish_error__isnull=False),
    "item-with-pdf": _item_with_pdf,
    "upload": _as_admin("upload/"),
    "upload-invalid": _upload_invalid,
    "connections-empty": _as_admin("settings/connections/", "admin@initech.test", "initech"),
    "connections-choose-provider": _choose_provider,
    "provider-consent": _consent,
    "connections-choose-organisation": _choose_organisation,
    "connections-oauth-denied": _oauth_denied,
    "connections-web-connector": _web_connector,
    "connections-connected": _as_admin("settings/connections/"),
    "connections-needs-reconnect": _needs_reconnect,
    "connections-bill-com-form": _as_admin("settings/connections/connect/bill_com/"),
    "connections-bill-com-refused": _bill_com_refused,
    "connections-disconnect": _disconnect("bill_com"),
    "connections-disconnect-refused": _disconnect("xero"),
    "supplier-rules": _as_admin("settings/supplier-rules/"),
    "supplier-rule-new": _as_admin("settings/supplier-rules/new/"),
    "supplier-rule-edit": _rule_edit,
    "supplier-rule-invalid": _rule_invalid,
    "audit-log": _as_admin("settings/audit-log/"),
    "not-found": _as_admin("items/00000000-0000-0000-0000-000000000000/"),
    "costs-failed-filter": _as_admin("costs/?tab=ready&failed=1"),
    "month-end-in-flight": _month_end,
    "month-end-idle": _month_end_idle,
    "month-end-empty": _month_end_empty,
}


@pytest.mark.parametrize("name", list(PAGES))
def test_page_has_no_axe_violations(page, shot, demo, name):
    refused = watch_csp(page)  # and works under the strict Content-Security-Policy the app sends
    PAGES[name](page, demo)
    shot(f"a11y-{name}")
    assert_accessible(page, name)
    assert refused == [], f"{name}: the Content-Security-Policy refused: {refused}"


# The pages and states of coding from the ledgers' lists (issue 10), on a business whose two ledgers keep lists
# (tests/e2e/conftest.py ``ledgers``): the pickers open, the inbox's Category cell being edited, the Connections
# page's lists block in each state, the To review badge saying what is missing.


def _ledgers_page(path: str, prepare=None):
    def visit(page, ledgers: Ledgers):
        if prepare is not None:
            prepare(ledgers)
        _signed_in(page, ACME_ADMIN)
        _open(page, ledgers.url(path))

    return visit


def _open_picker(page, test_id: str = "picker-category"):
    combobox = page.get_by_test_id(test_id).get_by_role("combobox")
    combobox.focus()
    page.keyboard.press("ArrowDown")
    expect(combobox).to_have_attribute("aria-expanded", "true")
    expect(page.locator(f"#{combobox.get_attribute('aria-controls')}")).to_be_visible()


def _item_pickers_open(page, ledgers: Ledgers):
    item = ledgers.cost("", "Printworks Studio")
    _ledgers_page(f"items/{item.id}/")(page, ledgers)
    _open_picker(page)


def _category_cell_editing(page, ledgers: Ledgers):
    item = ledgers.cost("", "Printworks Studio")
    ledgers.cost("461", "Office Supplies Co")
    _ledgers_page("costs/?tab=to_review")(page, ledgers)
    page.locator(f"#item-{item.id}").get_by_test_id("category-button").click()
    _open_picker(page)


def _rule_form_pickers(page, ledgers: Ledgers):
    _ledgers_page("settings/supplier-rules/new/")(page, ledgers)
    expect(page.get_by_test_id("picker-tax_rate")).to_be_visible()
    _open_picker(page, "picker-tax_rate")


def _lists_syncing(ledgers: Ledgers):
    lists_sync_begin(connection=ledgers.xero)


def _lists_failed(ledgers: Ledgers):
    ConnectionLists.objects.for_business(ledgers.business).filter(connection=ledgers.bill).update(
        status=ListSyncStatus.FAILED, error="Bill.com did not answer in time."
    )


def _lists_state(test_id: str):
    def check(page, ledgers: Ledgers):
        expect(page.get_by_test_id(test_id).first).to_be_visible()

    return check


def _then(*steps):
    def visit(page, ledgers):
        for step in steps:
            step(page, ledgers)

    return visit


def _to_review_with_problems(page, ledgers: Ledgers):
    ledgers.cost("", "Printworks Studio")
    ledgers.cost("999 Nowhere", "Swift Couriers")
    _ledgers_page("costs/?tab=to_review")(page, ledgers)
    badge = page.get_by_test_id("state-badge").first
    expect(badge).to_have_attribute("title", re.compile("Xero"))
    badge.hover()


LIST_PAGES = {
    "item-pickers-open": _item_pickers_open,
    "costs-category-cell-editing": _category_cell_editing,
    "supplier-rule-pickers": _rule_form_pickers,
    "connections-lists-syncing": _then(
        _ledgers_page("settings/connections/", _lists_syncing), _lists_state("lists-syncing")
    ),
    "connections-lists-synced": _then(_ledgers_page("settings/connections/"), _lists_state("lists-counts")),
    "connections-lists-failed": _then(
        _ledgers_page("settings/connections/", _lists_failed), _lists_state("lists-error")
    ),
    "costs-to-review-with-problems": _to_review_with_problems,
}


@pytest.mark.parametrize("name", list(LIST_PAGES))
def test_list_page_has_no_axe_violations(page, shot, ledgers, name):
    refused = watch_csp(page)
    LIST_PAGES[name](page, ledgers)
    shot(f"a11y-{name}")
    assert_accessible(page, name)
    assert refused == [], f"{name}: the Content-Security-Policy refused: {refused}"
