"""Helpers for tests that need a QuickBooks Desktop connection's lists: a sync through the fake Web Connector, and
the coding (integrations.providers.document.Coding) of a synced entry, as the worker puts it on a document."""

from __future__ import annotations

from integrations.lists.models import ListEntry, ListKind
from integrations.lists.sync import lists_sync_begin
from integrations.providers.document import Coding
from tests.integrations.qbwc.fake_web_connector import FakeWebConnector


def sync_lists(client, connection, password, quickbooks, *, full: bool = True, **run):
    """Begin a list sync of ``connection`` and let one Web Connector run carry it out against ``quickbooks``."""
    lists_sync_begin(connection=connection, full=full)
    return FakeWebConnector(client, "/qbwc/", connection.external_tenant_id, password, quickbooks=quickbooks).run(**run)


def entries(connection, kind: ListKind):
    return ListEntry.objects.for_business(connection.business_id).filter(connection=connection, kind=kind)


def coding(connection, kind: ListKind, code: str) -> Coding:
    entry = entries(connection, kind).get(code=code)
    return Coding(external_id=entry.external_id, code=entry.code, name=entry.name, extra=dict(entry.extra))
