"""The OAuth connect flows against the provider sandbox, and the callback's state checks."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from integrations.models import Connection, ConnectionStatus, OAuthState, PublishingDefaults
from tests.conftest import consent

pytestmark = pytest.mark.usefixtures("sandbox_http")

BILL_COM_LOGIN = {
    "username": "sandbox",
    "password": "sandbox",
    "organization_id": "sandbox-org",
    "dev_key": "sandbox-dev-key",
}


def start(client, business, provider):
    response = client.post(
        f"/api/v1/businesses/{business.id}/connections/", {"provider": provider}, content_type="application/json"
    )
    assert response.status_code == 202, response.content
    return response.json()["authorize_url"]


def callback_path(location: str) -> str:
    parts = urlsplit(location)
    assert parts.path == "/integrations/oauth/callback/"
    return f"{parts.path}?{parts.query}"


@pytest.mark.parametrize("provider, name", [("xero", "Xero"), ("quickbooks_online", "QuickBooks Online")])
def test_connect_main_provider_end_to_end(client, world, provider, name):
    client.force_login(world.users["business_admin"])
    authorize_url = start(client, world.a, provider)
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["state"][0] and query["redirect_uri"][0] == "http://testserver/integrations/oauth/callback/"
    if provider == "xero":
        assert query["code_challenge_method"] == ["S256"] and "offline_access" in query["scope"][0]
    landed = client.get(callback_path(consent(client, authorize_url)), follow=True)
    assert landed.redirect_chain[-1][0] == f"/b/{world.a.id}/settings/connections/"
    assert f"{name} is connected" in landed.content.decode()
    connection = Connection.objects.for_business(world.a).get(provider=provider)
    assert connection.status == ConnectionStatus.ACTIVE and connection.external_tenant_id
    assert connection.credentials["refresh_token"] and connection.credentials["access_token"]
    assert connection.connected_by == world.users["business_admin"]
    defaults = PublishingDefaults.objects.for_business(world.a).get()
    assert defaults.default_publishing_connection_id == connection.id


def test_approvalmax_connects_as_an_additional(client, world, connect):
    connect(world.a, "xero")
    client.force_login(world.users["business_admin"])
    landed = client.get(callback_path(consent(client, start(client, world.a, "approvalmax"))), follow=True)
    assert "ApprovalMax is connected" in landed.content.decode()
    assert Connection.objects.for_business(world.a).get(provider="approvalmax").kind == "additional"


def test_xero_grant_with_two_organisations_asks_which_one(client, world):
    client.force_login(world.users["business_admin"])
    location = consent(client, start(client, world.a, "xero"), orgs=2)
    response = client.get(callback_path(location))
    assert response.status_code == 302 and "/settings/connections/choose/" in response["Location"]
    page = client.get(response["Location"])
    orgs = page.context["organisations"]
    assert len(orgs) == 2
    done = client.post(response["Location"], {"organisation": orgs[1]["id"]}, follow=True)
    connection = Connection.objects.for_business(world.a).get(provider="xero")
    assert connection.external_tenant_id == orgs[1]["id"] and connection.organisation_name == orgs[1]["name"]
    assert "is connected" in done.content.decode()
    again = client.post(response["Location"], {"organisation": orgs[0]["id"]}, follow=True)
    assert "expired" in again.content.decode() or "already" in again.content.decode()
    assert Connection.objects.for_business(world.a).count() == 1, "the choice was made twice"


def test_bill_com_credentials_are_checked_with_a_real_login(world, api_as, connect):
    connect(world.a, "xero")
    client = api_as(world.users["business_admin"])
    good = {
        "username": "sandbox",
        "password": "sandbox",
        "organization_id": "sandbox-org",
        "dev_key": "sandbox-dev-key",
    }
    refused = client.post(
        f"/api/v1/businesses/{world.a.id}/connections/",
        {"provider": "bill_com", "credentials": {**good, "password": "nope"}},
        format="json",
    )
    assert refused.status_code == 400 and refused.json()["code"] == "invalid_credentials"
    assert not Connection.objects.for_business(world.a).filter(provider="bill_com").exists(), "nothing may be saved"
    made = client.post(
        f"/api/v1/businesses/{world.a.id}/connections/", {"provider": "bill_com", "credentials": good}, format="json"
    )
    assert made.status_code == 201, made.content
    assert "password" not in made.content.decode()


def test_bill_com_refusal_is_a_form_error_on_the_page(client, world, connect):
    connect(world.a, "xero")
    client.force_login(world.users["business_admin"])
    url = f"/b/{world.a.id}/settings/connections/connect/bill_com/"
    response = client.post(
        url, {"organization_id": "sandbox-org", "dev_key": "sandbox-dev-key", "username": "sandbox", "password": "x"}
    )
    assert response.status_code == 400
    assert 'data-testid="credentials-error"' in response.content.decode()
    assert not Connection.objects.for_business(world.a).filter(provider="bill_com").exists()


# ---------------------------------------------------------------- state checks


def test_callback_refuses_a_state_we_never_issued(client, world):
    client.force_login(world.users["business_admin"])
    response = client.get("/integrations/oauth/callback/?code=abc&state=forged")
    assert response.status_code == 400 and "not one we started" in response.content.decode()
    assert not Connection.objects.for_business(world.a).exists()


def test_callback_refuses_another_users_state(client, world):
    client.force_login(world.users["business_admin"])
    location = consent(client, start(client, world.a, "xero"))
    client.force_login(world.users["practice_practice_admin"])
    assert client.get(callback_path(location)).status_code == 400
    assert not Connection.objects.for_business(world.a).exists()


def test_callback_accepts_a_state_only_once(client, world):
    client.force_login(world.users["business_admin"])
    location = consent(client, start(client, world.a, "xero"))
    assert client.get(callback_path(location)).status_code == 302
    replay = client.get(callback_path(location))
    assert replay.status_code == 400
    assert Connection.objects.for_business(world.a).count() == 1


def test_callback_refuses_an_expired_state(client, world):
    client.force_login(world.users["business_admin"])
    location = consent(client, start(client, world.a, "xero"))
    OAuthState.objects.for_business(world.a).update(created_at=timezone.now() - timedelta(hours=1))
    response = client.get(callback_path(location))
    assert response.status_code == 400 and "took too long" in response.content.decode()


def test_denied_consent_connects_nothing(client, world):
    client.force_login(world.users["business_admin"])
    location = consent(client, start(client, world.a, "xero"), decision="deny")
    response = client.get(callback_path(location))
    assert response.status_code == 400 and "did not grant access" in response.content.decode()
    assert not Connection.objects.for_business(world.a).exists()


def test_callback_requires_sign_in(client, world):
    response = client.get("/integrations/oauth/callback/?code=abc&state=x")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_reconnect_renews_tokens_and_keeps_the_connection(client, world):
    client.force_login(world.users["business_admin"])
    client.get(callback_path(consent(client, start(client, world.a, "xero"))))
    xero = Connection.objects.for_business(world.a).get(provider="xero")
    old_refresh = xero.credentials["refresh_token"]
    from integrations.services import connection_mark_needs_reconnect

    connection_mark_needs_reconnect(connection=xero, reason="revoked")
    response = client.post(f"/b/{world.a.id}/settings/connections/{xero.id}/reconnect/")
    assert response.status_code == 302
    landed = client.get(callback_path(consent(client, response["Location"])), follow=True)
    assert "Xero is reconnected" in landed.content.decode()
    xero.refresh_from_db()
    assert xero.status == ConnectionStatus.ACTIVE and xero.credentials["refresh_token"] != old_refresh
    assert Connection.objects.for_business(world.a).count() == 1


# ---------------------------------------------------------------- issue 12: pending choices, roles, outages


def test_a_pending_organisation_choice_expires_and_its_tokens_are_wiped(client, world):
    client.force_login(world.users["business_admin"])
    response = client.get(callback_path(consent(client, start(client, world.a, "xero"), orgs=2)))
    choose_url = response["Location"]
    row = OAuthState.objects.for_business(world.a).get()
    assert row.secrets["token"]["refresh_token"], "the pending grant holds tokens"
    OAuthState.objects.for_business(world.a).update(created_at=timezone.now() - timedelta(hours=1))
    page = client.get(choose_url)
    assert page.status_code == 404 and "expired" in page.content.decode()
    assert OAuthState.objects.for_business(world.a).get().secrets == {}, "the tokens of an expired choice are wiped"
    posted = client.post(choose_url, {"organisation": "anything"}, follow=True)
    assert "expired" in posted.content.decode()
    assert not Connection.objects.for_business(world.a).exists()


def test_old_authorisation_attempts_are_purged(client, world):
    from integrations.tasks import purge_oauth_states

    client.force_login(world.users["business_admin"])
    client.get(callback_path(consent(client, start(client, world.a, "xero"), orgs=2)))
    start(client, world.a, "quickbooks_online")
    assert OAuthState.objects.for_business(world.a).count() == 2
    assert purge_oauth_states() == 0, "fresh attempts stay"
    OAuthState.objects.for_business(world.a).update(created_at=timezone.now() - timedelta(hours=1))
    assert purge_oauth_states() == 2
    assert not OAuthState.objects.unscoped().exists()
    from django.conf import settings

    assert settings.CELERY_BEAT_SCHEDULE["purge-oauth-states"]["task"] == "integrations.purge_oauth_states"


def test_the_callback_checks_the_role_again(client, world):
    """An admin who starts connecting and is made Standard before the provider sends them back connects nothing."""
    from accounts.models import BusinessMembership, BusinessRole

    admin = world.users["business_admin"]
    client.force_login(admin)
    location = consent(client, start(client, world.a, "xero"))
    BusinessMembership.objects.filter(user=admin, business=world.a).update(role=BusinessRole.STANDARD)
    response = client.get(callback_path(location))
    assert response.status_code == 403
    assert not Connection.objects.for_business(world.a).exists()


def test_choosing_an_organisation_checks_the_role_again(client, world):
    from accounts.models import BusinessMembership

    admin = world.users["business_admin"]
    client.force_login(admin)
    choose_url = client.get(callback_path(consent(client, start(client, world.a, "xero"), orgs=2)))["Location"]
    orgs = client.get(choose_url).context["organisations"]
    BusinessMembership.objects.filter(user=admin, business=world.a).delete()
    from dext_connections.errors import ApplicationError
    from integrations.services import oauth_choose_organisation

    with pytest.raises(ApplicationError) as refused:
        oauth_choose_organisation(user=admin, business=world.a, state_id=row_id(world), organisation_id=orgs[0]["id"])
    assert refused.value.status_code == 404
    assert not Connection.objects.for_business(world.a).exists()


def row_id(world):
    return OAuthState.objects.for_business(world.a).get().pk


def test_a_bill_com_reconnect_to_another_organisation_is_refused(world, api_as, connect):
    from dext_connections.errors import ApplicationError
    from integrations.services import connection_reconnect_start
    from tests.conftest import bill_com_connect

    connect(world.a, "xero")
    bill = bill_com_connect(world.a, world.users["business_admin"])
    other = {
        "username": "sandbox",
        "password": "sandbox",
        "organization_id": "sandbox-org-2",
        "dev_key": "sandbox-dev-key",
    }
    with pytest.raises(ApplicationError) as refused:
        connection_reconnect_start(
            business=world.a, connection_id=bill.id, credentials=other, actor=world.users["business_admin"]
        )
    assert refused.value.code == "wrong_organisation"
    bill.refresh_from_db()
    assert bill.external_tenant_id == "sandbox-org" and bill.credentials["organization_id"] == "sandbox-org"


def point_at_a_closed_port(monkeypatch, *providers) -> None:
    """The providers' endpoints (every provider's when none is named) at a closed port, through the environment
    variables their packages declare: connection refused, as when the provider is down."""
    from integrations.providers import registry

    for provider in [registry.get(key) for key in providers] or registry.all_providers():
        for endpoint in provider.endpoints.values():
            monkeypatch.setenv(endpoint.env_var, "http://127.0.0.1:9")


@pytest.fixture
def unreachable(monkeypatch):
    """Every provider endpoint points at a closed port: connection refused, as when the provider is down."""
    point_at_a_closed_port(monkeypatch)
    from integrations import http

    http.set_transport(None)


def test_an_unreachable_provider_during_connect_is_a_503(world, api_as, connect, unreachable):
    connect(world.a, "xero")
    good = {
        "username": "sandbox",
        "password": "sandbox",
        "organization_id": "sandbox-org",
        "dev_key": "sandbox-dev-key",
    }
    response = api_as(world.users["business_admin"]).post(
        f"/api/v1/businesses/{world.a.id}/connections/", {"provider": "bill_com", "credentials": good}, format="json"
    )
    assert response.status_code == 503, response.content
    assert response.json()["code"] == "provider_unavailable"
    assert not Connection.objects.for_business(world.a).filter(provider="bill_com").exists()


def test_an_unreachable_provider_during_a_bill_com_reconnect_is_a_503(client, world, connect, monkeypatch):
    from tests.conftest import bill_com_connect

    connect(world.a, "xero")
    bill = bill_com_connect(world.a, world.users["business_admin"])
    point_at_a_closed_port(monkeypatch, "bill_com")
    from integrations import http

    http.set_transport(None)
    client.force_login(world.users["business_admin"])
    form = {"organization_id": "sandbox-org", "dev_key": "k", "username": "sandbox", "password": "sandbox"}
    page = client.post(f"/b/{world.a.id}/settings/connections/connect/bill_com/", {**form, "reconnect": str(bill.id)})
    assert page.status_code == 503 and "could not be reached" in page.content.decode()


def test_an_unreachable_provider_on_the_oauth_callback_is_a_503_page(client, world, monkeypatch):
    client.force_login(world.users["business_admin"])
    location = consent(client, start(client, world.a, "quickbooks_online"))
    point_at_a_closed_port(monkeypatch, "quickbooks_online")
    from integrations import http

    http.set_transport(None)
    response = client.get(callback_path(location))
    assert response.status_code == 503
    assert "could not be reached" in response.content.decode()
    assert not Connection.objects.for_business(world.a).exists()
