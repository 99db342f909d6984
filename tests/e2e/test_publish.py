"""Publish from the Costs inbox and watch the row turn Published: a real Celery worker, the sandbox."""

import re

import pytest
from playwright.sync_api import expect

from accounts.demo import seed_accounts
from integrations.demo import seed_connections
from integrations.sandbox import selectors as sandbox
from publishing.demo import seed_items
from publishing.models import Item, ItemState
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_publish_from_the_inbox_and_watch_the_row_turn_published(celery_worker, live_server, page, shot, settings):
    settings.SITE_URL = live_server.url
    seed_accounts()
    seed_connections()
    seed_items()
    target = (
        Item.objects.unscoped()
        .filter(business__name="Acme Trading Ltd", kind="cost", state=ItemState.READY, integration__provider="bill_com")
        .order_by("-created_at", "-id")
        .first()
    )
    sign_in(page, "admin@acme.test")
    page.get_by_role("link", name="Ready").first.click()
    row = page.locator(f'tr[data-item="{target.id}"]')
    row.locator("input.row-check").check()
    page.get_by_test_id("bulk-bar").get_by_role("button", name="Publish").click()
    expect(row.get_by_test_id("state-badge")).to_have_text(re.compile("Queued|Publishing|Published"))
    shot("publish-1-queued")
    expect(row.get_by_test_id("state-badge")).to_have_text("Published", timeout=30_000)
    shot("publish-2-published")
    target.refresh_from_db()
    assert target.state == ItemState.PUBLISHED and target.external_id.startswith("00n")
    assert [d["reference"] for d in sandbox.documents_list(provider="bill_com")].count(str(target.pk)) == 1
