import pytest
from playwright.sync_api import expect

from accounts.demo import seed_accounts
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_admin_signs_in_and_sees_the_base_layout(page, shot):
    seed_accounts()
    page.goto("/accounts/login/")
    shot("sign-in")
    sign_in(page, "admin@acme.test")
    expect(page.get_by_test_id("current-business")).to_have_text("Acme Trading Ltd")
    expect(page.get_by_test_id("current-role")).to_have_text("Business Admin")
    for link in ("Costs inbox", "Sales", "Expense claims", "Connections"):
        expect(page.get_by_role("link", name=link, exact=True)).to_be_visible()
    shot("base-layout")


def test_practice_admin_switches_between_clients(page, shot):
    seed_accounts()
    sign_in(page, "practice.admin@northwind.test")
    expect(page.get_by_role("heading", name="Choose an account")).to_be_visible()
    page.get_by_role("link", name="Acme Trading Ltd").click()
    expect(page.get_by_test_id("current-business")).to_have_text("Acme Trading Ltd")
    expect(page).to_have_url(__import__("re").compile(r"/b/[0-9a-f-]+/costs/$"))
    page.locator("#org-switcher").click()
    shot("switcher")
    page.get_by_test_id("client-globex-corporation").click()
    expect(page.get_by_test_id("current-business")).to_have_text("Globex Corporation")
    expect(page.get_by_role("heading", name="Costs inbox")).to_be_visible()


def test_bookkeeper_sees_only_the_assigned_client(page):
    seed_accounts()
    sign_in(page, "bookkeeper@northwind.test")
    # One client only: straight into its Costs inbox.
    expect(page.get_by_test_id("current-business")).to_have_text("Acme Trading Ltd")
    page.locator("#org-switcher").click()
    expect(page.get_by_test_id("client-globex-corporation")).to_have_count(0)
