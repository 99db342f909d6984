"""Bill.com's errors read by their ``BDC_`` code in one table (never by message text): a lapsed session signs in
again, a refused sign-in needs a reconnect, a throttled login (200 an hour per developer key) or request (BDC_1144)
waits for the next hour and is never "credentials refused" or "needs reconnect"."""

from datetime import datetime

import httpx
import pytest

from integrations.lists.models import ListKind
from integrations.models import Connection, ConnectionStatus
from integrations.providers.base import (
    AuthError,
    CredentialsRefused,
    ProviderRateLimited,
    TransientError,
    ValidationError,
)
from integrations.providers.bill_com import errors
from integrations.providers.bill_com.provider import login
from integrations.sandbox.bill_com import api as sandbox_bill_com
from tests.integrations.bill_com.conftest import client_of, coding, document

SANDBOX_SIGN_IN = {
    "username": "sandbox",
    "password": "sandbox",
    "organization_id": "sandbox-org",
    "dev_key": "sandbox-dev-key",
}


def answer(status: int, code: str, message: str = "whatever the words") -> httpx.Response:
    body = [{"timestamp": "2030-01-01T00:00:00.000+00:00", "code": code, "severity": "ERROR", "message": message}]
    return httpx.Response(status, json=body)


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (401, "BDC_1109", errors.SessionLapsed),
        (400, "BDC_1101", AuthError),
        (400, "BDC_1102", AuthError),
        (400, "BDC_1110", AuthError),
        (400, "BDC_1144", ProviderRateLimited),
        (429, "BDC_1144", ProviderRateLimited),
        (429, "BDC_1322", ProviderRateLimited),
        (400, "BDC_1001", TransientError),
        (500, "BDC_5000", TransientError),
        (400, "BDC_1000", ValidationError),
        (400, "BDC_1130", ValidationError),
    ],
)
def test_errors_are_mapped_by_their_bdc_code(status, code, kind):
    error = errors.error_for(answer(status, code))
    assert type(error) is kind, type(error)
    assert code in error.message or (status >= 500 and error.message == f"Bill.com had a problem ({status}).")


def test_the_words_do_not_decide_only_the_code_does():
    looks_throttled = errors.error_for(answer(400, "BDC_1000", "Max number of allowed requests per hour reached"))
    assert isinstance(looks_throttled, ValidationError)
    reworded = errors.error_for(answer(400, "BDC_1144", "Slow down please (a new wording)"))
    assert isinstance(reworded, ProviderRateLimited)


def test_bdc_1144_waits_for_the_next_hour():
    error = errors.error_for(answer(400, "BDC_1144"))
    expected = errors.seconds_to_next_hour()
    assert abs(error.retry_after - expected) < 5 and 1 <= error.retry_after <= 3601
    assert errors.seconds_to_next_hour(datetime(2030, 1, 1, 10, 59, 30)) == 31.0
    assert errors.seconds_to_next_hour(datetime(2030, 1, 1, 10, 0, 0)) == 3601.0


def test_a_refused_password_at_connect_is_credentials_refused(db, sandbox_http):
    with pytest.raises(CredentialsRefused, match="BDC_1101"):
        login({**SANDBOX_SIGN_IN, "password": "wrong"})


def test_a_throttled_login_at_connect_is_unavailable_not_refused_credentials(
    world, connect, api_as, sandbox_http, monkeypatch
):
    monkeypatch.setattr(sandbox_bill_com, "LOGINS_AN_HOUR", 0)
    with pytest.raises(ProviderRateLimited) as raised:
        login(SANDBOX_SIGN_IN)
    assert raised.value.retry_after > 0
    connect(world.a, "xero")
    response = api_as(world.users["business_admin"]).post(
        f"/api/v1/businesses/{world.a.id}/connections/",
        {"provider": "bill_com", "credentials": SANDBOX_SIGN_IN},
        format="json",
    )
    assert response.status_code == 503, response.content
    assert response.json()["code"] == "provider_unavailable"
    assert not Connection.objects.for_business(world.a).filter(provider="bill_com").exists()


def test_the_sandbox_throttles_logins_at_200_an_hour_per_developer_key(db, sandbox_http, monkeypatch):
    assert sandbox_bill_com.LOGINS_AN_HOUR == 200
    monkeypatch.setattr(sandbox_bill_com, "LOGINS_AN_HOUR", 2)  # the same rule, reached sooner
    login(SANDBOX_SIGN_IN)
    login(SANDBOX_SIGN_IN)
    with pytest.raises(ProviderRateLimited, match="BDC_1144"):
        login(SANDBOX_SIGN_IN)


def test_a_lapsed_session_signs_in_again_once(bill):
    Connection.objects.for_business(bill.business_id).filter(pk=bill.pk).update(
        credentials={**bill.credentials, "session_id": "!lapsed"}
    )
    bill.refresh_from_db()
    client = client_of(bill)
    client.publish(document(category_ref=coding(bill, ListKind.ACCOUNTS, "429")))
    bill.refresh_from_db()
    assert bill.credentials["session_id"] not in ("", "!lapsed") and bill.status == ConnectionStatus.ACTIVE


def test_a_throttled_login_during_publishing_waits_for_the_next_hour_never_needs_reconnect(bill, monkeypatch):
    Connection.objects.for_business(bill.business_id).filter(pk=bill.pk).update(
        credentials={**bill.credentials, "session_id": "!lapsed"}
    )
    bill.refresh_from_db()
    monkeypatch.setattr(sandbox_bill_com, "LOGINS_AN_HOUR", 0)
    outcomes = client_of(bill).publish_many([document(category_ref=coding(bill, ListKind.ACCOUNTS, "429"))])
    [outcome] = outcomes
    assert isinstance(outcome, ProviderRateLimited) and not isinstance(outcome, AuthError)
    assert abs(outcome.retry_after - errors.seconds_to_next_hour()) < 5


def test_a_refused_saved_sign_in_needs_a_reconnect(bill):
    Connection.objects.for_business(bill.business_id).filter(pk=bill.pk).update(
        credentials={**bill.credentials, "session_id": "!lapsed", "password": "changed-in-bill-com"}
    )
    bill.refresh_from_db()
    [outcome] = client_of(bill).publish_many([document(category_ref=coding(bill, ListKind.ACCOUNTS, "429"))])
    assert isinstance(outcome, AuthError) and "BDC_1101" in outcome.message
