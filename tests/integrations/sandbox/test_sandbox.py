"""The sandbox's own switches and listings: faults, the documents listing, reset, the Python API."""

import json
import time

import pytest

from integrations.sandbox import faults, services
from integrations.sandbox.models import Document, Fault, Organisation
from tests.integrations.sandbox.conftest import bill, connect, own, xero_call


def set_fault(client, provider, **body):
    return client.post(f"/sandbox/{provider}/faults/", json.dumps(body), content_type="application/json", headers=own())


def test_rate_limit_fault_answers_429_with_retry_after(client, xero):
    state = set_fault(client, "xero", mode="rate_limit", retry_after=7).json()
    assert state == {
        "provider": "xero",
        "mode": "rate_limit",
        "rate": 1.0,
        "retry_after": 7,
        "count": None,
        "seed": state["seed"],  # none was given: a random one, reported so that the run can be replayed
        "draws": 0,
        "delay": None,
    }
    assert isinstance(state["seed"], int)
    limited = xero_call(client, xero, "GET", "/Accounts")
    assert limited.status_code == 429 and limited["Retry-After"] == "7"
    assert limited["X-Rate-Limit-Problem"] == "minute"
    set_fault(client, "xero", mode="none")
    assert xero_call(client, xero, "GET", "/Accounts").status_code == 200


def test_server_error_fault_fires_count_times_then_stops(client, xero):
    services.set_fault("xero", "server_error", count=2)
    statuses = [xero_call(client, xero, "GET", "/Accounts").status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    assert Fault.objects.get(provider="xero").mode == "none"


def test_fault_rate_is_a_draw_per_call(client, xero, monkeypatch):
    draws = iter([0.1, 0.9, 0.49, 0.5])
    monkeypatch.setattr(faults, "draw", lambda seed, provider, number: next(draws))
    services.set_fault("xero", "server_error", rate=0.5)
    assert [xero_call(client, xero, "GET", "/Accounts").status_code for _ in range(4)] == [500, 200, 500, 200]


def test_timeout_fault_waits_then_answers_504(client, xero, settings):
    settings.SANDBOX_TIMEOUT_SECONDS = 0.05
    services.set_fault("xero", "timeout")
    started = time.monotonic()
    response = xero_call(client, xero, "GET", "/Accounts")
    assert response.status_code == 504 and time.monotonic() - started >= 0.05


def test_expire_tokens_expires_current_access_tokens_once(client, xero):
    state = set_fault(client, "xero", mode="expire_tokens").json()
    assert state["mode"] == "none" and state["applied"] == {"mode": "expire_tokens", "affected": 1}
    assert xero_call(client, xero, "GET", "/Accounts").status_code == 401
    refreshed = client.post(
        "/sandbox/xero/identity/connect/token",
        {"grant_type": "refresh_token", "refresh_token": xero.refresh_token, "client_id": "dext-client"},
    ).json()
    xero.access_token = refreshed["access_token"]
    assert xero_call(client, xero, "GET", "/Accounts").status_code == 200


def test_revoke_refresh_makes_refresh_tokens_invalid_grant(client, xero):
    services.set_fault("xero", "revoke_refresh")
    response = client.post(
        "/sandbox/xero/identity/connect/token",
        {"grant_type": "refresh_token", "refresh_token": xero.refresh_token, "client_id": "dext-client"},
    )
    assert response.status_code == 400 and response.json() == {"error": "invalid_grant"}
    assert connect(client, "xero").refresh_token  # a new consent works again


@pytest.mark.parametrize("mode", ["rate_limit", "server_error"])
def test_faults_use_each_providers_error_shape(client, mode):
    qbo = connect(client, "quickbooks_online")
    services.set_fault("quickbooks_online", mode)
    response = client.get(
        f"/sandbox/quickbooks_online/v3/company/{qbo.tenants[0]}/query?query=select * from Account",
        headers={"Authorization": qbo.bearer},
    )
    # Intuit's gateway answers a throttled call with lowercase keys (docs/provider-notes.md), a failure with "Fault".
    assert response.status_code == (429 if mode == "rate_limit" else 500)
    assert ("fault" if mode == "rate_limit" else "Fault") in response.json()


def test_bill_com_faults(client):
    session_id = client.post(
        "/sandbox/bill_com/connect/v3/login",
        json.dumps(
            {"username": "sandbox", "password": "sandbox", "organizationId": "sandbox-org", "devKey": "sandbox-dev-key"}
        ),
        content_type="application/json",
    ).json()["sessionId"]
    headers = {"devKey": "sandbox-dev-key", "sessionId": session_id}
    services.set_fault("bill_com", "rate_limit", count=1)
    limited = client.get("/sandbox/bill_com/connect/v3/vendors", headers=headers)
    assert limited.status_code == 429 and limited.json()[0]["code"] == "BDC_1322"
    services.set_fault("bill_com", "expire_tokens")
    assert client.get("/sandbox/bill_com/connect/v3/vendors", headers=headers).json()[0]["code"] == "BDC_1109"


def test_approvalmax_fault(client):
    connected = connect(client, "approvalmax")
    services.set_fault("approvalmax", "server_error", count=1)
    assert (
        client.get("/sandbox/approvalmax/api/v1/companies", headers={"Authorization": connected.bearer}).status_code
        == 500
    )


def test_fault_switch_refuses_bad_input(client):
    assert set_fault(client, "xero", mode="explode").status_code == 400
    assert set_fault(client, "xero", mode="rate_limit", rate=2).status_code == 400
    assert set_fault(client, "xero", mode="rate_limit", count=0).status_code == 400
    assert set_fault(client, "nowhere", mode="none").status_code == 404
    assert client.get("/sandbox/xero/faults/", headers=own()).json()["mode"] == "none"
    with pytest.raises(ValueError):
        services.set_fault("xero", "rate_limit", retry_after=-1)


def test_documents_listing_shows_what_each_provider_received(client, xero):
    xero_call(client, xero, "PUT", "/Invoices", bill(reference="item-42"))
    listing = client.get("/sandbox/xero/documents/", headers=own()).json()
    assert len(listing) == 1
    row = listing[0]
    assert {k: row[k] for k in ("reference", "type", "total")} == {
        "reference": "item-42",
        "type": "ACCPAY",
        "total": "25.20",
    }
    assert set(row) >= {"id", "reference", "type", "total", "created_at", "updated_at"}
    assert row["created_at"].startswith("2030-01-07T10:00:00")
    detail = client.get(f"/sandbox/xero/documents/{row['id']}/", headers=own()).json()
    assert detail["received"]["Url"].endswith("/items/item-42/") and detail["body"]["InvoiceID"] == row["id"]
    assert client.get("/sandbox/quickbooks_online/documents/", headers=own()).json() == []
    assert client.get("/sandbox/nowhere/documents/", headers=own()).status_code == 404


def test_record_document_for_quickbooks_desktop(client, clock):
    services.record_document(
        "quickbooks_desktop", external_id="TXN-1", reference="item-77", type="BillAdd", total="18.40"
    )
    clock.advance(minutes=1)
    services.record_document(
        "quickbooks_desktop", external_id="TXN-1", reference="item-77", type="BillAdd", total="18.50"
    )
    [row] = client.get("/sandbox/quickbooks_desktop/documents/", headers=own()).json()
    assert row["id"] == "TXN-1" and row["reference"] == "item-77" and row["total"] == "18.50"
    assert row["updated_at"] > row["created_at"]


def test_reset_forgets_everything_but_organisations_keep_their_ids(client, xero):
    xero_call(client, xero, "PUT", "/Invoices", bill())
    services.set_fault("xero", "server_error")
    assert client.post("/sandbox/reset/", headers=own()).json() == {"reset": True}
    assert not Document.objects.exists() and not Fault.objects.exists()
    assert xero_call(client, xero, "GET", "/Accounts").status_code == 401
    again = connect(client, "xero")
    assert again.tenants == xero.tenants
    assert Organisation.objects.filter(provider="xero").count() == 2


def test_concurrency_slots_are_taken_up_to_the_limit_and_a_dead_callers_slot_is_forgotten(db):
    """The slot is taken in one statement (``sandbox_slot_take``); a slot older than five minutes belongs to a
    process that died mid-call and no longer counts."""
    from contextlib import ExitStack
    from datetime import timedelta

    from integrations.sandbox import clock, counters
    from integrations.sandbox.models import InFlightCall

    with ExitStack() as stack:
        for _ in range(2):
            stack.enter_context(counters.concurrency_slot("org-1", 2))
        with pytest.raises(counters.LimitExceeded), counters.concurrency_slot("org-1", 2):
            pass
        with counters.concurrency_slot("org-2", 2):  # another organisation has its own slots
            assert InFlightCall.objects.count() == 3
    assert InFlightCall.objects.count() == 0, "every slot is given back"
    InFlightCall.objects.create(key="org-1", started_at=clock.now() - counters.STALE_AFTER - timedelta(seconds=1))
    InFlightCall.objects.create(key="org-1", started_at=clock.now() - counters.STALE_AFTER - timedelta(seconds=1))
    with counters.concurrency_slot("org-1", 2), counters.concurrency_slot("org-1", 2):
        assert InFlightCall.objects.filter(key="org-1").count() == 2, "the dead callers' slots were forgotten"


def test_an_api_call_finds_its_token_and_organisation_in_one_query(client, xero):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as statements:
        assert xero_call(client, xero, "GET", "/Organisation").status_code == 200
    touching = [q["sql"] for q in statements if "sandbox_token" in q["sql"] or "sandbox_organisation" in q["sql"]]
    assert len(touching) == 1, touching


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/sandbox/xero/documents/"),
        ("get", "/sandbox/xero/documents/INV-1/"),
        ("get", "/sandbox/bill_com/faults/"),
        ("post", "/sandbox/bill_com/faults/"),
        ("post", "/sandbox/reset/"),
    ],
)
def test_outside_development_the_sandboxs_own_endpoints_need_its_token(client, method, path):
    """API.md "Sandbox": only ``make run`` (development) leaves them open."""
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "test-sandbox-token"}):
        refused = getattr(client, method)(path, headers=headers)
        assert refused.status_code == 401, (path, headers)
        assert refused["WWW-Authenticate"].startswith("Bearer")
    assert not Fault.objects.exists(), "a refused call switched a fault"
    assert getattr(client, method)(path, headers=own()).status_code != 401, "the token opens it"


def test_in_development_the_sandboxs_own_endpoints_answer_without_credentials(client, settings):
    settings.IS_DEVELOPMENT = True
    assert client.get("/sandbox/xero/documents/").status_code == 200
    assert client.get("/sandbox/xero/faults/").json()["mode"] == "none"
