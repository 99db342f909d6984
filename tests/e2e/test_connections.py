"""Business settings > Connections, walked in a real browser against the provider sandbox."""

import re

import pytest
from playwright.sync_api import expect

from accounts.demo import seed_accounts
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def open_connections(page):
    page.get_by_role("link", name="Connections", exact=True).click()
    expect(page.get_by_role("heading", name="Connections")).to_be_visible()


def test_admin_connects_sets_defaults_and_disconnects_in_order(page, shot):
    seed_accounts()
    sign_in(page, "admin@initech.test")
    open_connections(page)
    expect(page.get_by_test_id("additional-disabled-reason")).to_be_visible()
    expect(page.get_by_role("button", name="Connect Bill.com")).to_be_disabled()
    shot("connections-1-empty")

    # Connect Xero: the provider's consent page, Allow access, back on Connections.
    page.get_by_role("button", name="Connect", exact=True).click()
    shot("connections-2-choose-provider")
    page.get_by_role("button", name="Connect Xero").click()
    expect(page.get_by_role("button", name="Allow access")).to_be_visible()
    shot("connections-3-xero-consent")
    page.get_by_role("button", name="Allow access").click()
    expect(page.get_by_test_id("message").filter(has_text="Xero is connected")).to_be_visible()
    expect(page.get_by_test_id("main-connection")).to_contain_text("Xero")
    shot("connections-4-xero-connected")

    # Connect Bill.com: a wrong password is a form error, the right one connects.
    page.get_by_role("button", name="Connect Bill.com").click()
    page.fill("#id_organization_id", "sandbox-org")
    page.fill("#id_dev_key", "sandbox-dev-key")
    page.fill("#id_username", "sandbox")
    page.fill("#id_password", "wrong")
    page.get_by_role("button", name="Connect Bill.com").click()
    expect(page.get_by_test_id("credentials-error")).to_be_visible()
    shot("connections-5-bill-com-refused")
    page.fill("#id_dev_key", "sandbox-dev-key")
    page.fill("#id_password", "sandbox")
    page.get_by_role("button", name="Connect Bill.com").click()
    expect(page.get_by_test_id("message").filter(has_text="Bill.com is connected.")).to_be_visible()

    # Both defaults appear now that two connections are active.
    defaults = page.get_by_test_id("defaults-section")
    expect(defaults).to_be_visible()
    page.select_option("#default_publishing_connection", label="Bill.com")
    page.select_option("#default_expense_claims_connection", label="Xero")
    page.get_by_role("button", name="Save defaults").click()
    expect(page.get_by_test_id("message").filter(has_text="Default integrations saved.")).to_be_visible()
    expect(page.locator("#default_publishing_connection option:checked")).to_have_text("Bill.com")
    shot("connections-6-defaults")

    # Disconnect Xero is refused while Bill.com is active, with the message naming it.
    page.get_by_test_id("main-connection").get_by_role("link", name="Disconnect").click()
    expect(page.get_by_test_id("disconnect-refused")).to_contain_text("Disconnect Bill.com first")
    shot("connections-7-disconnect-refused")
    page.get_by_role("link", name="Back to Connections").click()

    # Disconnect Bill.com (the confirmation shows what changes), then Xero.
    page.get_by_role("link", name="Disconnect Bill.com").click()
    expect(page.get_by_test_id("disconnect-preview")).to_contain_text(
        "default integration(s) move to the main connection"
    )
    shot("connections-8-disconnect-preview")
    page.get_by_role("button", name="Disconnect Bill.com").click()
    expect(page.get_by_test_id("message").filter(has_text="Bill.com is disconnected.")).to_be_visible()
    expect(page.get_by_test_id("defaults-section")).to_have_count(0)
    page.get_by_test_id("main-connection").get_by_role("link", name="Disconnect").click()
    page.get_by_role("button", name="Disconnect Xero").click()
    expect(page.get_by_test_id("message").filter(has_text="Xero is disconnected.")).to_be_visible()
    expect(page.get_by_role("button", name="Connect", exact=True)).to_be_visible()


def test_bookkeeper_switches_into_a_client_and_connects_there(page, shot):
    seed_accounts()
    sign_in(page, "bookkeeper@northwind.test")
    expect(page.get_by_test_id("current-business")).to_have_text("Acme Trading Ltd")
    page.locator("#org-switcher").click()
    page.get_by_test_id("client-acme-trading-ltd").click()
    expect(page).to_have_url(re.compile(r"/costs/$"))
    open_connections(page)
    expect(page.get_by_test_id("read-only-note")).to_have_count(0)
    page.get_by_role("button", name="Connect", exact=True).click()
    page.get_by_role("button", name="Connect QuickBooks Online").click()
    page.get_by_role("button", name="Allow access").click()
    expect(page.get_by_test_id("message").filter(has_text="QuickBooks Online is connected")).to_be_visible()
    expect(page.get_by_test_id("main-connection")).to_contain_text("QuickBooks Online")
    expect(page.get_by_test_id("main-connection")).to_contain_text("Ben Booker")
    page.locator("#org-switcher").click()
    expect(page.get_by_test_id("client-acme-trading-ltd")).to_contain_text("QuickBooks Online · Active")
    shot("connections-9-bookkeeper-switcher")


def test_standard_user_sees_connections_read_only(page, shot):
    seed_accounts()
    sign_in(page, "staff@acme.test")
    open_connections(page)
    expect(page.get_by_test_id("read-only-note")).to_be_visible()
    expect(page.get_by_role("button", name="Connect", exact=True)).to_have_count(0)
    shot("connections-10-read-only")


def test_expired_connection_shows_reconnect_and_reconnecting_restores_it(page, shot):
    from integrations.models import Connection
    from integrations.services import connection_mark_needs_reconnect

    seed_accounts()
    sign_in(page, "admin@initech.test")
    open_connections(page)
    page.get_by_role("button", name="Connect", exact=True).click()
    page.get_by_role("button", name="Connect Xero").click()
    page.get_by_role("button", name="Allow access").click()
    expect(page.get_by_test_id("message").filter(has_text="Xero is connected")).to_be_visible()
    xero = Connection.objects.unscoped().get(business__name="Initech", provider="xero")
    connection_mark_needs_reconnect(connection=xero, reason="Xero refused the refresh token.")
    page.reload()
    expect(page.get_by_test_id("main-connection")).to_contain_text("Needs reconnect")
    page.locator("#org-switcher").click()
    shot("connections-11-needs-reconnect")
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Reconnect").click()
    page.get_by_role("button", name="Allow access").click()
    expect(page.get_by_test_id("message").filter(has_text="Xero is reconnected")).to_be_visible()
    expect(page.get_by_test_id("main-connection")).to_contain_text("Active")
