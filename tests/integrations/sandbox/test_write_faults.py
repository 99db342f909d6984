"""Faults where the provider does the work and the answer goes wrong (``lost_answer``, ``slow_answer``), or
the work itself is slow (``slow_work``), and fault draws that a seed makes reproducible."""

import json
import time

import httpx
import pytest

from integrations.sandbox import services
from integrations.sandbox.faults import draw
from integrations.sandbox.models import Contact, Document, Fault, IdempotentAnswer
from tests.integrations.sandbox.conftest import bill, own, xero_call
from tests.integrations.sandbox.test_bill_com import CREDENTIALS, V3


def invoices(client, xero, key: str, reference: str = "item-1"):
    return xero_call(client, xero, "PUT", "/Invoices", bill(reference=reference), **{"Idempotency-Key": key})


def test_lost_answer_makes_the_document_and_answers_nothing(client, xero):
    services.set_fault("xero", "lost_answer")
    lost = invoices(client, xero, "key-1")
    assert getattr(lost, "answer_lost", False), "the answer was not lost"
    assert lost.status_code == 502
    [made] = Document.objects.filter(provider="xero", reference="item-1")
    assert IdempotentAnswer.objects.filter(key="key-1").exists(), "the work was not kept with its key"

    services.set_fault("xero", "none")
    again = invoices(client, xero, "key-1")  # the client retries under the same key
    assert again.status_code == 200 and again["X-Sandbox-Idempotent-Replay"] == "true"
    assert again.json()["Invoices"][0]["InvoiceID"] == made.external_id
    assert Document.objects.filter(provider="xero").count() == 1


def test_slow_answer_makes_the_document_then_answers_late(client, xero):
    services.set_fault("xero", "slow_answer", delay=0.2)
    started = time.monotonic()
    late = invoices(client, xero, "key-2")
    assert time.monotonic() - started >= 0.2
    assert late.status_code == 200 and not getattr(late, "answer_lost", False)
    assert Document.objects.filter(provider="xero", reference="item-1").count() == 1


def test_slow_answer_waits_beyond_the_clients_timeout_by_default(client, xero, settings, monkeypatch):
    from integrations.sandbox import faults

    waits = []
    monkeypatch.setattr(faults.time, "sleep", waits.append)
    settings.PROVIDER_HTTP_TIMEOUT_SECONDS = 7.5
    services.set_fault("xero", "slow_answer")
    assert invoices(client, xero, "key-3").status_code == 200
    assert waits == [8.5]


def test_slow_work_waits_before_the_work_then_answers(client, xero, monkeypatch):
    from integrations.sandbox import faults

    seen = []
    monkeypatch.setattr(faults.time, "sleep", lambda s: seen.append((s, Document.objects.count())))
    services.set_fault("xero", "slow_work", delay=4)
    response = invoices(client, xero, "key-4")
    assert response.status_code == 200
    assert seen == [(4.0, 0)], "the wait came after the work"
    assert Document.objects.count() == 1


def test_write_faults_leave_reads_alone_and_draw_nothing_for_them(client, xero):
    services.set_fault("xero", "lost_answer")
    assert xero_call(client, xero, "GET", "/Accounts").status_code == 200
    assert Fault.objects.get(provider="xero").draws == 0
    assert getattr(invoices(client, xero, "key-5"), "answer_lost", False)
    assert Fault.objects.get(provider="xero").draws == 1


def test_a_refused_write_is_answered_at_once(client, xero):
    services.set_fault("xero", "lost_answer")
    refused = xero_call(client, xero, "PUT", "/Invoices", {"Invoices": [{"Type": "ACCPAY"}]})
    assert refused.status_code == 400 and not getattr(refused, "answer_lost", False)


def test_seeded_draws_are_the_same_every_time(client, xero):
    def run(seed: int) -> list[int]:
        state = services.set_fault("xero", "server_error", rate=0.5, seed=seed)
        assert state["seed"] == seed and state["draws"] == 0
        return [xero_call(client, xero, "GET", "/Accounts").status_code for _ in range(12)]

    first = run(20261126)
    assert first == run(20261126), "the same seed drew differently"
    assert {500, 200} <= set(first)
    expected = [500 if draw(20261126, "xero", n) < 0.5 else 200 for n in range(1, 13)]
    assert first == expected
    assert client.get("/sandbox/xero/faults/", headers=own()).json()["draws"] == 12


def test_the_switch_takes_seed_and_delay_over_http_and_refuses_bad_ones(client):
    post = lambda **body: client.post(  # noqa: E731
        "/sandbox/xero/faults/", json.dumps(body), content_type="application/json", headers=own()
    )
    state = post(mode="slow_answer", rate=0.2, seed=42, delay=2.5).json()
    assert (state["mode"], state["rate"], state["seed"], state["delay"]) == ("slow_answer", 0.2, 42, 2.5)
    assert post(mode="lost_answer", seed=-1).status_code == 400
    assert post(mode="lost_answer", seed="x").status_code == 400
    assert post(mode="slow_work", delay=-1).status_code == 400


def vendor(name: str) -> dict:
    """A vendor as Bill.com takes it: a name and an address."""
    return {"name": name, "address": {"country": "US"}}


@pytest.fixture
def bill_com_session(live_server) -> tuple[str, dict]:
    base = f"{live_server.url}{V3}"
    answer = httpx.post(f"{base}/login", json=CREDENTIALS, timeout=10).json()
    return base, {"devKey": CREDENTIALS["devKey"], "sessionId": answer["sessionId"]}


def test_over_a_socket_lost_answer_drops_the_connection_after_the_work(bill_com_session):
    base, headers = bill_com_session
    services.set_fault("bill_com", "lost_answer")
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.post(f"{base}/vendors", json=vendor("Dropped Ltd"), headers=headers, timeout=10)
    services.set_fault("bill_com", "none")
    assert Contact.objects.filter(provider="bill_com", name="Dropped Ltd").count() == 1
    wanted = {"filters": 'name:eq:"Dropped Ltd"'}
    found = httpx.get(f"{base}/vendors", params=wanted, headers=headers, timeout=10).json()
    assert [v["name"] for v in found["results"]] == ["Dropped Ltd"]


def test_over_a_socket_slow_answer_outlasts_the_clients_timeout(bill_com_session):
    base, headers = bill_com_session
    services.set_fault("bill_com", "slow_answer", delay=1.5)
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{base}/vendors", json=vendor("Late Ltd"), headers=headers, timeout=0.5)
    assert Contact.objects.filter(provider="bill_com", name="Late Ltd").count() == 1
