"""Browser journeys: Playwright driving Debian's Chromium, headless, against the live server."""

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

from accounts.demo import seed_accounts
from integrations import services as connection_services
from integrations.lists.models import ListKind
from integrations.models import Connection
from integrations.providers import registry
from integrations.providers.base import ConnectResult
from publishing.models import Item
from publishing.services import item_create
from tests.lists import STANDARD, seed_lists

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".local" / "screenshots"

if not Path(CHROMIUM).exists():
    pytest.skip("Debian chromium is not installed (.ci/run installs it)", allow_module_level=True)

# Playwright's sync API runs an event loop in this thread; the ORM calls made by fixtures are
# still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server, settings):
    settings.SITE_URL = live_server.url
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1360, "height": 860})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def shot(page):
    """Save a screenshot under .local/screenshots/ for a person to look at."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str):
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    return take


@pytest.fixture
def celery_worker(live_server, tmp_path, settings):
    """One real worker process on the test database, reaching the sandbox on the live server."""
    from tests.reliability.stack import Stack, database_url

    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "PUBLISH_", "PYTEST_"))}
    env.update(
        DJANGO_ENV="test",
        DATABASE_URL=database_url(connection.settings_dict),
        REDIS_URL=django_settings.REDIS_URL,
        SITE_URL=live_server.url,
        SANDBOX_ENABLED="true",
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        PYTHONUNBUFFERED="1",
    )
    stack = Stack(env=env, tmp=tmp_path)
    try:
        yield stack.worker(concurrency=2)
    finally:
        stack.stop()


def sign_in(page, email: str, password: str = "dext-demo-pass"):
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.get_by_role("button", name="Sign In").click()


# --- a business whose two ledgers keep lists (Xero: the test chart; Bill.com: a chart of its own) -----------

A, T, P = ListKind.ACCOUNTS, ListKind.TAX_RATES, ListKind.PAYMENT_ACCOUNTS
# Bill.com's own chart: Advertising by name (no code), no Printing & Stationery.
BILL_CHART = [
    (A, "", "Advertising", "Expense", "purchases", None, True),
    (A, "", "General Expenses", "Expense", "purchases", None, True),
    (A, "", "Office Supplies", "Expense", "purchases", None, True),
]


@dataclass
class Ledgers:
    """Acme with Xero (main: the test chart, tax rates, bank accounts) and Bill.com (its own small chart)."""

    business: object
    xero: Connection
    bill: Connection

    def url(self, path: str) -> str:
        return f"/b/{self.business.id}/{path}"

    def cost(self, category: str, supplier: str) -> Item:
        return item_create(
            business=self.business,
            actor=None,
            kind="cost",
            contact_name=supplier,
            date="2026-11-02",
            total="120.00",
            currency="GBP",
            category=category,
        )


@pytest.fixture
def ledgers(settings, tmp_path) -> Ledgers:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    seeded = seed_accounts()
    acme, admin = seeded["acme"], seeded["acme_admin"]
    made = {}
    for key, organisation, rows in (
        ("xero", "Acme Trading Ltd", STANDARD),
        ("bill_com", "Acme Trading (Bill.com)", BILL_CHART),
    ):
        made[key] = connection_services.connection_create(
            business=acme,
            provider=registry.get(key),
            result=ConnectResult(
                organisation_name=organisation,
                external_tenant_id=f"{key}-acme",
                credentials={"access_token": "at", "refresh_token": "rt", "expires_at": 4102444800},
            ),
            actor=admin,
        )
        seed_lists(made[key], rows)
    return Ledgers(business=acme, xero=made["xero"], bill=made["bill_com"])
