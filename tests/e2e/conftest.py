"""Browser journeys: Playwright driving Debian's Chromium, headless, against the live server."""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection

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
