"""A practice user's month-end: open the page, Publish all ready items for a client, watch the counts change as a
real Celery worker publishes them into the sandbox, and the page stop refreshing once nothing is left in flight."""

import re

import pytest
from playwright.sync_api import expect

from accounts.demo import seed_accounts
from integrations.demo import seed_connections
from integrations.sandbox import selectors as sandbox
from publishing.demo import seed_items
from publishing.models import Item, ItemState
from tests.e2e.axe import assert_accessible
from tests.e2e.conftest import sign_in
from tests.e2e.keyboard import tab_to

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_practice_user_publishes_a_clients_ready_items_and_watches_them_land(
    celery_worker, live_server, page, shot, settings, tmp_path
):
    settings.SITE_URL = live_server.url
    settings.MEDIA_ROOT = str(tmp_path / "media")
    seed_accounts()
    seed_connections()
    seed_items()
    acme = Item.objects.unscoped().filter(business__name="Acme Trading Ltd")
    ready = acme.filter(state=ItemState.READY, last_publish_error=None).count()
    assert ready > 10

    sign_in(page, "bookkeeper@northwind.test")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.get_by_test_id("nav-month-end").click()
    expect(page.get_by_role("heading", name="Month-end")).to_be_visible()
    row = page.get_by_test_id("month-end-row").filter(has_text="Acme Trading Ltd")
    expect(row.get_by_test_id("count-ready")).to_have_text(str(ready))
    expect(page.get_by_test_id("month-end-row")).to_have_count(1)  # the bookkeeper is assigned Acme alone
    shot("month-end-1-before")

    # Keyboard alone: Tab to the client's button (its focus visible) and press Enter.
    tab_to(page, row.get_by_test_id("publish-client"))
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("message")).to_contain_text(f"{ready} ready items of Acme Trading Ltd queued")
    expect(page.get_by_test_id("month-end-body")).to_have_attribute("data-polling", "1")
    shot("month-end-2-queued")
    assert_accessible(page, "month-end-journey-in-flight")

    # The worker publishes; the page refreshes itself until nothing is queued or publishing.
    expect(row.get_by_test_id("count-published-today")).to_have_text(str(ready), timeout=90_000)
    expect(row.get_by_test_id("count-queued")).to_have_text("0")
    expect(row.get_by_test_id("progress")).to_have_text("100%")
    expect(page.get_by_test_id("month-end-summary")).to_contain_text(re.compile(rf"{ready} published today"))
    expect(page.get_by_test_id("month-end-body")).not_to_have_attribute("data-polling", "1")
    shot("month-end-3-done")
    published = acme.filter(state=ItemState.PUBLISHED)
    assert published.count() == ready
    references = [d["reference"] for p in ("xero", "bill_com") for d in sandbox.documents_list(provider=p)]
    assert sorted(references) == sorted(str(pk) for pk in published.values_list("pk", flat=True)), "once each"


def test_publishing_every_clients_items_at_once_goes_by_tasks_and_lands(
    celery_worker, live_server, page, shot, settings, tmp_path
):
    """More ready items than MONTH_END_INLINE_MAX: the request hands each client to a task (the page says they are
    being queued), and the worker queues and publishes them all."""
    settings.SITE_URL = live_server.url
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.MONTH_END_INLINE_MAX = 5
    seed_accounts()
    seed_connections()
    seed_items()
    reached = Item.objects.unscoped().filter(business__practice__name="Northwind Bookkeeping")
    ready = reached.filter(state=ItemState.READY, last_publish_error=None, kind__in=("cost", "sales", "expense_claim"))
    total = ready.count()
    assert total > 5

    sign_in(page, "practice.admin@northwind.test")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.get_by_test_id("nav-month-end").click()
    page.get_by_role("button", name=re.compile("Publish all ready items for every client")).click()
    expect(page.get_by_test_id("message")).to_contain_text(f"{total} ready items of")
    expect(page.get_by_test_id("message")).to_contain_text("are being queued for publishing")
    expect(page.get_by_test_id("month-end-body")).to_have_attribute("data-polling", "1")  # it watches the tasks
    shot("month-end-4-every-client-by-task")
    in_flight = reached.filter(state__in=(ItemState.QUEUED, ItemState.PUBLISHING))
    for _ in range(300):  # the tasks queue every client's items, then the worker publishes them
        if not ready.exists() and not in_flight.exists():
            break
        page.wait_for_timeout(500)
    assert not ready.exists(), "an item was left ready"
    assert not in_flight.exists(), "an item was still queued or publishing"
    expect(page.get_by_test_id("month-end-summary")).to_contain_text("Nothing publishing", timeout=15_000)
    expect(page.get_by_test_id("month-end-body")).not_to_have_attribute("data-polling", "1")
    assert_accessible(page, "month-end-every-client-by-task")
