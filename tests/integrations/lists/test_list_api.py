"""The lists in the API (API.md): a connection's ``lists`` block, the list endpoints with search and pages, the
refresh; tenants and roles."""

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


def api(business, path=""):
    return f"/api/v1/businesses/{business.id}/{path}"


def test_each_connection_answers_its_lists(world, xero, api_as):
    [body] = api_as(world.users["standard"]).get(api(world.a, "connections/")).json()
    assert body["lists"]["status"] == "ready" and body["lists"]["error"] is None
    assert body["lists"]["counts"] == {"accounts": 13, "tax_rates": 4, "payment_accounts": 4}
    assert body["lists"]["synced_at"]


def test_a_list_pages_and_searches_by_code_or_name(world, xero, api_as):
    client = api_as(world.users["standard"])
    first = client.get(api(world.a, f"connections/{xero.id}/lists/accounts/?page_size=5")).json()
    assert len(first["results"]) == 5 and first["next"]
    seen = [r["name"] for r in first["results"]]
    while first["next"]:
        first = client.get(first["next"]).json()
        seen += [r["name"] for r in first["results"]]
    assert len(seen) == 14 and len(set(seen)) == 14, "every entry once, the archived one too"
    found = client.get(api(world.a, f"connections/{xero.id}/lists/accounts/?q=429")).json()["results"]
    assert [(r["code"], r["name"], r["type"], r["active"]) for r in found] == [
        ("429", "General Expenses", "EXPENSE", True)
    ]
    assert set(found[0]) >= {"id", "external_id", "code", "name", "active", "type"}
    by_name = client.get(api(world.a, f"connections/{xero.id}/lists/accounts/?q=power")).json()["results"]
    assert [r["code"] for r in by_name] == ["445"]
    archived = client.get(api(world.a, f"connections/{xero.id}/lists/accounts/?active=false")).json()["results"]
    assert [r["code"] for r in archived] == ["477"]
    taxes = client.get(api(world.a, f"connections/{xero.id}/lists/tax-rates/?q=INPUT2")).json()["results"]
    assert taxes[0]["rate"] == "20" and taxes[0]["code"] == "INPUT2"


def test_a_list_the_provider_does_not_have_is_a_404(world, xero, api_as):
    client = api_as(world.users["standard"])
    for name in ("products", "nonsense", "tracking"):
        response = client.get(api(world.a, f"connections/{xero.id}/lists/{name}/"))
        assert response.status_code == 404 and response.json()["code"] == "not_found", name
    assert client.get(api(world.a, f"connections/{xero.id}/lists/accounts/?active=maybe")).status_code == 400


def test_another_tenants_lists_are_not_found(world, xero, api_as, connect):
    theirs = connect(world.b, "xero")
    client = api_as(world.users["business_admin"])
    assert client.get(api(world.a, f"connections/{theirs.id}/lists/accounts/")).status_code == 404
    assert client.get(api(world.b, f"connections/{theirs.id}/lists/accounts/")).status_code == 404
    assert client.post(api(world.b, f"connections/{theirs.id}/lists/refresh/")).status_code == 404
    assert (
        api_as(world.users["outsider"]).get(api(world.a, f"connections/{xero.id}/lists/accounts/")).status_code == 404
    )


def test_refresh_is_for_those_who_manage_connections(world, xero, api_as):
    url = api(world.a, f"connections/{xero.id}/lists/refresh/")
    refused = api_as(world.users["standard"]).post(url)
    assert refused.status_code == 403 and refused.json()["code"] == "not_allowed"
    for role in ("business_admin", "practice_practice_admin"):
        answer = api_as(world.users[role]).post(url)
        assert answer.status_code == 202 and answer.json()["lists"]["status"] == "syncing", role
    state = ConnectionLists.objects.for_business(world.a).get(connection=xero)
    assert state.status == ListSyncStatus.SYNCING and state.progress["index"] == 0


def test_a_failed_sync_says_why_and_keeps_the_counts(world, xero, api_as):
    ConnectionLists.objects.for_business(world.a).filter(connection=xero).update(
        status=ListSyncStatus.FAILED, error="Xero had a problem (503)."
    )
    [body] = api_as(world.users["standard"]).get(api(world.a, "connections/")).json()
    assert body["lists"]["status"] == "failed" and body["lists"]["error"] == "Xero had a problem (503)."
    assert body["lists"]["counts"]["accounts"] == 13
