"""The Costs inbox journey in a real browser: inline and bulk integration changes, item details, refusals."""

import re
import struct
import zlib

import pytest
from playwright.sync_api import expect

from accounts.demo import seed_accounts
from integrations import services as connection_services
from integrations.models import PublishingDefaults
from integrations.providers import registry
from integrations.providers.base import ConnectResult
from publishing.demo import seed_items
from publishing.models import IntegrationSource, Item, ItemKind, ItemState
from tests.e2e.conftest import BILL_CHART, sign_in
from tests.e2e.test_lists import _pick
from tests.lists import STANDARD, A, seed_lists

# The test chart, with the demo's other Xero accounts (its expense claims are coded to them).
DEMO_CHART = STANDARD + [
    (A, code, name, "EXPENSE", "purchases", None, True)
    for code, name in (
        ("420", "Entertainment"),
        ("489", "Telephone & Internet"),
        ("493", "Travel - National"),
        ("494", "Travel - International"),
    )
]

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def acme(settings, tmp_path):
    """The demo: Acme with Xero (main) and Bill.com (additional, the default publishing integration)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    seeded = seed_accounts()
    acme, admin = seeded["acme"], seeded["acme_admin"]
    connections = {}
    for key, organisation in (("xero", "Acme Trading Ltd"), ("bill_com", "Acme Trading (Bill.com)")):
        connections[key] = connection_services.connection_create(
            business=acme,
            provider=registry.get(key),
            result=ConnectResult(
                organisation_name=organisation,
                external_tenant_id=f"{key}-acme",
                credentials={"access_token": "at", "refresh_token": "rt", "expires_at": 4102444800},
            ),
            actor=admin,
        )
        # Its lists as a finished sync leaves them (the connection is made up: no sandbox grant to sync from).
        seed_lists(connections[key], DEMO_CHART if key == "xero" else BILL_CHART)
    connection_services.publishing_defaults_set(
        business=acme, actor=admin, default_publishing_connection=connections["bill_com"].id
    )
    assert PublishingDefaults.objects.for_business(acme).get().default_expense_claims_connection_id == (
        connections["xero"].id
    )
    seed_items()
    return acme, connections


def _png(width: int, height: int) -> bytes:
    """A plain receipt-coloured PNG, written with zlib only."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xfa\xf7\xee" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _row(page, item):
    return page.locator(f"#item-{item.id}")


def test_costs_inbox_integration_inline_and_in_bulk(page, shot, acme):
    business, connections = acme
    xero = connections["xero"]
    sign_in(page, "admin@acme.test")
    expect(page.get_by_role("heading", name="Costs inbox")).to_be_visible()
    page.get_by_test_id("tab-ready").click()
    expect(page.get_by_role("columnheader", name="Integration")).to_be_visible()
    shot("inbox")

    # One item, inline: Bill.com (the default) → Xero, saved by htmx without a page load.
    ready = list(
        Item.objects.for_business(business)
        .filter(kind=ItemKind.COST, state=ItemState.READY, integration=connections["bill_com"])
        .order_by("-created_at", "-id")[:4]
    )
    assert len(ready) == 4
    first = ready[0]
    _row(page, first).get_by_test_id("integration-select").select_option(label="Xero")
    expect(_row(page, first).get_by_test_id("integration-saved")).to_be_visible()
    first.refresh_from_db()
    assert first.integration_id == xero.id and first.integration_source == IntegrationSource.MANUAL

    # Three more, in bulk.
    for item in ready[1:]:
        _row(page, item).locator(".row-check").check()
    expect(page.get_by_test_id("bulk-count")).to_have_text("3 selected")
    page.get_by_test_id("bulk-integration").select_option(label="Xero")
    page.get_by_role("button", name="Change integration").click()
    expect(page.get_by_test_id("message").filter(has_text="3 items moved")).to_be_visible()
    expect(page.get_by_test_id("live-status")).to_contain_text("3 items moved")
    for item in ready[1:]:
        item.refresh_from_db()
        assert item.integration_id == xero.id
    shot("inbox-after-bulk")

    # The item page names the source of its integration.
    page.goto(f"/b/{business.id}/items/{first.id}/")
    expect(page.get_by_test_id("integration-source")).to_have_text("Source: chosen by Jane Acme")
    expect(page.get_by_test_id("history")).to_contain_text("Bill.com")
    expect(page.get_by_test_id("history")).to_contain_text("Xero")

    # An item sent by a supplier rule says so, and shows its PDF.
    ruled = (
        Item.objects.for_business(business)
        .filter(supplier__name="Office Supplies Co", integration_source=IntegrationSource.SUPPLIER_RULE)
        .exclude(attachment="")
        .first()
    )
    page.goto(f"/b/{business.id}/items/{ruled.id}/")
    expect(page.get_by_test_id("integration-source")).to_have_text("Source: set by supplier rule Office Supplies Co")
    expect(page.get_by_test_id("attachment-pdf")).to_be_visible()
    shot("item-details")


def test_a_sales_item_cannot_be_pointed_elsewhere(page, shot, acme):
    business, connections = acme
    sign_in(page, "admin@acme.test")
    page.get_by_role("link", name="Sales", exact=True).click()
    page.get_by_test_id("tab-ready").click()
    expect(page.get_by_role("heading", name="Sales")).to_be_visible()
    expect(page.get_by_test_id("item-row").first).to_contain_text("always main")
    shot("sales")

    page.get_by_test_id("item-row").first.get_by_role("link").click()
    expect(page.get_by_test_id("integration-source")).to_have_text("Source: sales always go to the main connection")
    page.get_by_test_id("integration-select").select_option(label="Bill.com")
    expect(page.get_by_test_id("integration-refusal")).to_contain_text(
        "Sales always go to the main accounting software"
    )
    expect(page.get_by_test_id("integration-select")).to_have_value(str(connections["xero"].id))
    shot("sales-item-refused")
    assert (
        not Item.objects.for_business(business)
        .filter(kind=ItemKind.SALES)
        .exclude(integration=connections["xero"])
        .exists()
    )


def test_expense_claims_supplier_rules_and_upload(page, shot, acme, tmp_path):
    business, connections = acme
    sign_in(page, "admin@acme.test")
    page.get_by_role("link", name="Expense claims", exact=True).click()
    page.get_by_test_id("tab-ready").click()
    expect(page.get_by_test_id("item-row")).to_have_count(5)
    shot("expense-claims")

    page.get_by_role("link", name="Supplier rules").click()
    expect(page.get_by_test_id("rule-row").filter(has_text="Office Supplies Co")).to_contain_text("Xero")
    shot("supplier-rules")
    page.get_by_role("link", name="New rule").click()
    page.fill("#id_supplier_name", "Swift Couriers")
    page.select_option("#id_integration", label="Xero")
    _pick(page, page.get_by_test_id("picker-category").get_by_role("combobox"), "425", "425 Freight")
    page.check("#id_apply_to_inbox")
    shot("supplier-rule-form")
    page.get_by_role("button", name="Save rule").click()
    expect(page.get_by_test_id("message").filter(has_text="applied to the supplier's inbox items")).to_be_visible()
    expect(page.get_by_test_id("live-status")).to_contain_text("applied to the supplier's inbox items")
    unpublished = Item.objects.for_business(business).filter(
        supplier__name="Swift Couriers", state__in=(ItemState.TO_REVIEW, ItemState.READY)
    )
    assert unpublished.exists()
    assert set(unpublished.values_list("integration_id", flat=True)) == {connections["xero"].id}

    page.get_by_role("link", name="Costs inbox").click()
    page.get_by_test_id("upload-button").click()
    expect(page.get_by_role("heading", name="Upload")).to_be_visible()
    shot("upload")
    receipt = tmp_path / "receipt.png"
    receipt.write_bytes(_png(240, 320))
    page.set_input_files("#id_attachment", str(receipt))
    page.fill("#id_contact_name", "Corner Hardware")
    page.fill("#id_date", "2026-11-20")
    page.fill("#id_total", "36.00")
    # A new cost goes to the default integration, Bill.com: its chart names the account without a code.
    page.fill("#id_category", "General Expenses")
    page.get_by_role("button", name="Upload").click()
    expect(page).to_have_url(re.compile(r"/items/[0-9a-f-]+/$"))
    expect(page.get_by_test_id("state-badge")).to_have_text("Ready")
    expect(page.get_by_test_id("attachment-image")).to_be_visible()
