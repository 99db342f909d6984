"""Fixtures for items, supplier rules and the inbox pages."""

from datetime import date

import pytest

from integrations.models import PublishingDefaults
from publishing.services import item_create

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def no_broker(monkeypatch):
    """Task messages sent on commit are collected instead of reaching the broker."""
    sent = []
    monkeypatch.setattr("publishing.pipeline._send", lambda ids, queue: sent.extend((i, queue) for i in ids))
    return sent


@pytest.fixture
def xero_bill(world, connect):
    """Business A with Xero (main) and Bill.com (additional), default publishing moved to Bill.com."""
    xero = connect(world.a, "xero")
    bill = connect(world.a, "bill_com")
    PublishingDefaults.objects.for_business(world.a).update(default_publishing_connection=bill)
    return xero, bill


def make_item(business, kind="cost", contact="Paper Co", ready=True, **extra):
    fields = {"date": "2026-11-02", "total": "120.00", "tax": "20.00", "category": "429 General Expenses"}
    if not ready:
        fields.pop("category")
    fields.update(extra)
    for name in ("date", "due_date"):
        if isinstance(fields.get(name), str):
            fields[name] = date.fromisoformat(fields[name])
    return item_create(business=business, actor=None, kind=kind, contact_name=contact, **fields)


@pytest.fixture
def item_factory():
    return make_item


@pytest.fixture
def messages(monkeypatch) -> list[list[str]]:
    """Task messages sent on commit: one list of job ids per message."""
    sent: list[list[str]] = []
    monkeypatch.setattr("publishing.pipeline._send", lambda ids, queue: sent.append(list(ids)))
    return sent


@pytest.fixture
def bill_com(client, world):
    """Xero (main) and Bill.com connected through the real flows, Bill.com the default publishing integration."""
    from integrations.services import publishing_defaults_set
    from tests.conftest import bill_com_connect, oauth_connect

    oauth_connect(client, world.a, world.users["business_admin"], "xero")
    connection = bill_com_connect(world.a, world.users["business_admin"])
    publishing_defaults_set(business=world.a, actor=None, default_publishing_connection=connection.id)
    return connection
