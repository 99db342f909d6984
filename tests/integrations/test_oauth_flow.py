"""The OAuth connect flows against the provider sandbox, and the callback's state checks."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from integrations.models import Connection, ConnectionStatus, OAuthState, PublishingDefaults
from tests.conftest import consent

pytestmark = pytest.mark.usefixtures("sandbox_http")


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
