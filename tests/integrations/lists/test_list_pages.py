"""The lists on the Connections page: counts, "Syncing lists…" refreshed in place, a failed sync's error, the
Refresh lists button (admins and practice only)."""

from html import unescape

import pytest

from integrations.lists.models import ConnectionLists, ListKind, ListSyncStatus
from integrations.lists.source import Pass
from integrations.providers.bill_com import BillCom
from integrations.providers.xero import Xero

A, T, P = ListKind.ACCOUNTS, ListKind.TAX_RATES, ListKind.PAYMENT_ACCOUNTS


@pytest.fixture
def xero(world, connect, monkeypatch):
    monkeypatch.setattr(Xero, "list_passes", (Pass(A, (A, P)), Pass(T, (T,))), raising=False)
    monkeypatch.setattr(BillCom, "list_passes", (Pass(A, (A,)),), raising=False)
    monkeypatch.setattr("integrations.lists.services.transaction.on_commit", lambda fn: None)
    return connect(world.a, "xero")


def page(client, business):
    return client.get(f"/b/{business.id}/settings/connections/").content.decode()


def test_the_connections_page_shows_each_lists_counts(client, world, xero):
    client.force_login(world.users["business_admin"])
    html = page(client, world.a)
    assert "13 accounts · 4 payment accounts · 4 tax rates" in html
    assert "Refresh lists" in html and "Syncing lists…" not in html


def test_refresh_lists_starts_a_sync_and_the_block_polls_until_it_ends(client, world, xero):
    client.force_login(world.users["business_admin"])
    answer = client.post(f"/b/{world.a.id}/settings/connections/{xero.id}/lists/refresh/", follow=True)
    html = unescape(answer.content.decode())
    assert "Syncing Xero's lists…" in html and 'data-testid="lists-syncing"' in html
    assert 'hx-trigger="every 3s"' in html
    ConnectionLists.objects.for_business(world.a).filter(connection=xero).update(status=ListSyncStatus.READY)
    block = client.get(f"/b/{world.a.id}/settings/connections/{xero.id}/lists/?was=syncing")
    assert "every 3s" not in block.content.decode(), "it stops asking once the sync ended"
    assert "Xero's lists synced." in block["HX-Trigger"]


def test_a_failed_sync_shows_its_error_and_that_the_last_lists_stay(client, world, xero):
    ConnectionLists.objects.for_business(world.a).filter(connection=xero).update(
        status=ListSyncStatus.FAILED, error="Xero had a problem (503)."
    )
    client.force_login(world.users["business_admin"])
    html = page(client, world.a)
    assert "The last sync failed: Xero had a problem (503)." in html
    assert "The lists synced before are still in use." in html


def test_only_those_who_manage_connections_may_refresh(client, world, xero, connect):
    client.force_login(world.users["standard"])
    assert "Refresh lists" not in page(client, world.a)
    assert client.post(f"/b/{world.a.id}/settings/connections/{xero.id}/lists/refresh/").status_code == 403
    theirs = connect(world.b, "xero")
    client.force_login(world.users["business_admin"])
    assert client.post(f"/b/{world.b.id}/settings/connections/{theirs.id}/lists/refresh/").status_code == 404
    assert client.get(f"/b/{world.a.id}/settings/connections/{theirs.id}/lists/").status_code == 404
