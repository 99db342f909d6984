"""The OAuth 2.0 flows of Xero, QuickBooks Online and ApprovalMax as the sandbox plays them."""

from urllib.parse import urlencode

import pytest

from integrations.sandbox.models import Organisation
from tests.integrations.sandbox.conftest import (
    AUTHORIZE,
    REDIRECT_URI,
    allow,
    authorize_params,
    connect,
    form_post,
    pkce_pair,
    redirect_params,
    token_post,
)


def _code_form(code: str, verifier: str | None = None, redirect_uri: str = REDIRECT_URI) -> dict:
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier is not None:
        form["code_verifier"] = verifier
    return form


def _refresh(client, provider, refresh_token, **kwargs):
    return token_post(client, provider, {"grant_type": "refresh_token", "refresh_token": refresh_token}, **kwargs)


@pytest.mark.parametrize("provider", ["xero", "quickbooks_online", "approvalmax"])
def test_consent_page_offers_allow_access_with_app_scopes_and_organisations(client, provider):
    page = client.get(AUTHORIZE[provider] + "?" + urlencode(authorize_params(provider)))
    html = page.content.decode()
    assert page.status_code == 200
    assert ">Allow access</button>" in html and ">Deny</button>" in html
    assert "Dext Connections" in html and "dext-client" in html
    assert "Sandbox Trading Co" in html and "Sandbox Holdings" in html


def test_allow_returns_code_and_state_to_the_redirect_uri(client):
    params = authorize_params("xero", state="round-trip-42")
    response = form_post(client, AUTHORIZE["xero"], {**params, "decision": "allow"})
    assert response["Location"].startswith("http://testserver/integrations/oauth/callback/?from=sandbox&code=")
    redirect = redirect_params(response)
    assert redirect["state"] == "round-trip-42" and redirect["code"]


def test_deny_returns_access_denied_and_state(client):
    params = authorize_params("xero", state="s-1")
    redirect = redirect_params(form_post(client, AUTHORIZE["xero"], {**params, "decision": "deny"}))
    assert redirect == {"from": "sandbox", "error": "access_denied", "state": "s-1"}


def test_bad_authorize_requests_are_refused(client, settings):
    params = authorize_params("xero", response_type="token")
    assert redirect_params(client.get(AUTHORIZE["xero"] + "?" + urlencode(params)))["error"] == (
        "unsupported_response_type"
    )
    params = authorize_params("xero", code_challenge="x" * 43, code_challenge_method="plain")
    assert redirect_params(client.get(AUTHORIZE["xero"] + "?" + urlencode(params)))["error"] == "invalid_request"
    settings.SANDBOX_CLIENTS = {"known": "secret"}
    page = client.get(AUTHORIZE["xero"] + "?" + urlencode(authorize_params("xero")))
    assert page.status_code == 400 and "not known" in page.content.decode()


def test_pkce_verifier_matching_the_challenge_gets_tokens(client):
    verifier, challenge = pkce_pair()
    params = authorize_params("xero", code_challenge=challenge, code_challenge_method="S256")
    code = allow(client, "xero", params)["code"]
    response = token_post(client, "xero", _code_form(code, verifier), secret=None)
    answer = response.json()
    assert response.status_code == 200 and response["Cache-Control"] == "no-store"
    assert answer["token_type"] == "Bearer" and answer["expires_in"] == 1800
    assert answer["scope"] == params["scope"]
    assert answer["access_token"].count(".") == 2  # a JWT, as Xero's are
    assert answer["refresh_token"]


def test_pkce_mismatch_is_invalid_grant(client):
    _, challenge = pkce_pair()
    params = authorize_params("xero", code_challenge=challenge, code_challenge_method="S256")
    code = allow(client, "xero", params)["code"]
    response = token_post(client, "xero", _code_form(code, "a-different-verifier-" + "x" * 30), secret=None)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"
    missing = token_post(client, "xero", _code_form(code), secret=None)
    assert missing.json()["error"] == "invalid_grant"


def test_code_is_single_use_and_bound_to_the_redirect_uri(client):
    verifier, challenge = pkce_pair()
    params = authorize_params("xero", code_challenge=challenge, code_challenge_method="S256")
    code = allow(client, "xero", params)["code"]
    other = token_post(client, "xero", _code_form(code, verifier, "https://evil.test/cb"), secret=None)
    assert other.json() == {"error": "invalid_grant"}
    assert token_post(client, "xero", _code_form(code, verifier), secret=None).status_code == 200
    assert token_post(client, "xero", _code_form(code, verifier), secret=None).json() == {"error": "invalid_grant"}


def test_code_expires_after_five_minutes(client, clock):
    verifier, challenge = pkce_pair()
    code = allow(client, "xero", authorize_params("xero", code_challenge=challenge, code_challenge_method="S256"))[
        "code"
    ]
    clock.advance(minutes=5, seconds=1)
    assert token_post(client, "xero", _code_form(code, verifier), secret=None).json() == {"error": "invalid_grant"}


def test_configured_client_secret_is_checked(client, settings):
    settings.SANDBOX_CLIENTS = {"dext-client": {"secret": "right", "name": "Dext Demo"}}
    page = client.get(AUTHORIZE["xero"] + "?" + urlencode(authorize_params("xero")))
    assert "Dext Demo" in page.content.decode()
    code = allow(client, "xero", authorize_params("xero"))["code"]
    wrong = token_post(client, "xero", _code_form(code), secret="wrong")
    assert wrong.status_code == 401 and wrong.json() == {"error": "invalid_client"}
    no_secret_no_pkce = token_post(client, "xero", _code_form(code), secret=None)
    assert no_secret_no_pkce.status_code == 401
    assert token_post(client, "xero", _code_form(code), secret="right").status_code == 200


def test_xero_refresh_rotates_and_the_previous_token_has_a_30_minute_grace(client, clock):
    connected = connect(client, "xero")
    first = connected.refresh_token
    rotated = _refresh(client, "xero", first, secret=None).json()
    assert rotated["refresh_token"] != first and rotated["access_token"] != connected.access_token
    clock.advance(minutes=29)
    again = _refresh(client, "xero", first, secret=None)
    assert again.status_code == 200  # still inside the grace period
    clock.advance(minutes=1, seconds=1)
    late = _refresh(client, "xero", first, secret=None)
    assert late.status_code == 400 and late.json() == {"error": "invalid_grant"}
    assert _refresh(client, "xero", rotated["refresh_token"], secret=None).status_code == 200


def test_refresh_token_expires_after_60_days_unused(client, clock):
    connected = connect(client, "xero")
    clock.advance(days=60, seconds=1)
    assert _refresh(client, "xero", connected.refresh_token, secret=None).json() == {"error": "invalid_grant"}


def test_access_token_expires_after_expires_in(client, clock):
    connected = connect(client, "xero")
    headers = {"Authorization": connected.bearer}
    clock.advance(seconds=1799)
    assert client.get("/sandbox/xero/connections", headers=headers).status_code == 200
    clock.advance(seconds=1)
    expired = client.get("/sandbox/xero/connections", headers=headers)
    assert expired.status_code == 401
    assert expired.json() == {
        "Type": None,
        "Title": "Unauthorized",
        "Status": 401,
        "Detail": "AuthenticationUnsuccessful",
    }


def test_no_refresh_token_without_offline_access(client):
    connected = connect(client, "xero", scope="openid accounting.invoices")
    assert connected.refresh_token is None


def test_connections_list_the_granted_organisations(client):
    one = connect(client, "xero")
    two = connect(client, "xero", orgs=2)
    listing = client.get("/sandbox/xero/connections", headers={"Authorization": two.bearer}).json()
    assert [c["tenantName"] for c in listing] == ["Sandbox Trading Co", "Sandbox Holdings Ltd"]
    assert set(listing[0]) >= {"id", "tenantId", "tenantType", "tenantName", "createdDateUtc", "updatedDateUtc"}
    assert listing[0]["tenantType"] == "ORGANISATION"
    assert one.tenants == [listing[0]["tenantId"]]


def test_consent_form_grants_the_organisations_ticked(client):
    holdings = Organisation.objects.none()
    client.get(AUTHORIZE["xero"] + "?" + urlencode(authorize_params("xero")))  # seeds the organisations
    holdings = Organisation.objects.get(provider="xero", name="Sandbox Holdings Ltd")
    verifier, challenge = pkce_pair()
    params = authorize_params("xero", code_challenge=challenge, code_challenge_method="S256")
    code = redirect_params(
        form_post(
            client, AUTHORIZE["xero"], {**params, "decision": "allow", "org": holdings.external_id, "org_form": 1}
        )
    )["code"]
    token = token_post(client, "xero", _code_form(code, verifier), secret=None).json()["access_token"]
    listing = client.get("/sandbox/xero/connections", headers={"Authorization": f"Bearer {token}"}).json()
    assert [c["tenantId"] for c in listing] == [holdings.external_id]
    none_ticked = form_post(client, AUTHORIZE["xero"], {**params, "decision": "allow", "org_form": 1})
    assert none_ticked.status_code == 400 and "Choose an organisation" in none_ticked.content.decode()


def test_xero_connection_can_be_deleted(client):
    connected = connect(client, "xero", orgs=2)
    headers = {"Authorization": connected.bearer}
    first = client.get("/sandbox/xero/connections", headers=headers).json()[0]
    assert client.delete(f"/sandbox/xero/connections/{first['id']}", headers=headers).status_code == 204
    assert [c["tenantId"] for c in client.get("/sandbox/xero/connections", headers=headers).json()] == [
        connected.tenants[1]
    ]


def test_revoking_the_refresh_token_ends_the_grant(client):
    connected = connect(client, "xero")
    response = form_post(
        client,
        "/sandbox/xero/identity/connect/revocation",
        {"token": connected.refresh_token, "client_id": "dext-client"},
    )
    assert response.status_code == 200
    assert _refresh(client, "xero", connected.refresh_token, secret=None).json() == {"error": "invalid_grant"}
    assert client.get("/sandbox/xero/connections", headers={"Authorization": connected.bearer}).status_code == 401


def test_quickbooks_redirect_carries_realm_id_and_needs_basic_auth(client, clock):
    params = authorize_params("quickbooks_online", state="qbo-state")
    redirect = allow(client, "quickbooks_online", params)
    assert redirect["state"] == "qbo-state" and redirect["realmId"].isdigit()
    refused = token_post(client, "quickbooks_online", _code_form(redirect["code"]), secret=None)
    assert refused.status_code == 401 and refused.json() == {"error": "invalid_client"}
    answer = token_post(client, "quickbooks_online", _code_form(redirect["code"])).json()
    assert answer["token_type"] == "bearer" and answer["expires_in"] == 3600
    assert answer["x_refresh_token_expires_in"] == 100 * 86400
    # Within a day the same refresh token comes back; after a day it is replaced.
    same = _refresh(client, "quickbooks_online", answer["refresh_token"]).json()
    assert same["refresh_token"] == answer["refresh_token"] and same["access_token"] != answer["access_token"]
    clock.advance(hours=25)
    replaced = _refresh(client, "quickbooks_online", answer["refresh_token"]).json()
    assert replaced["refresh_token"] != answer["refresh_token"]


def test_quickbooks_grants_one_company(client):
    connected = connect(client, "quickbooks_online", orgs=2)
    assert len(connected.tenants) == 1


def test_approvalmax_refresh_tokens_are_one_time_use(client):
    connected = connect(client, "approvalmax", orgs=2)
    assert len(connected.tenants) == 2 and connected.answer["expires_in"] == 3600
    assert _refresh(client, "approvalmax", connected.refresh_token, secret=None).status_code == 200
    assert _refresh(client, "approvalmax", connected.refresh_token, secret=None).json() == {"error": "invalid_grant"}


def test_unsupported_grant_type(client):
    response = token_post(client, "xero", {"grant_type": "password"})
    assert response.status_code == 400 and response.json() == {"error": "unsupported_grant_type"}


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/integrations/oauth/callback/",
        "http://testserver/accounts/login/",
        "http://testserver.evil.example/integrations/oauth/callback/",
        "//evil.example/integrations/oauth/callback/",
        "javascript:alert(1)",
        "http://testserver/integrations/oauth/callback/#frag",
    ],
)
def test_the_authorize_page_redirects_only_to_the_products_callback(client, redirect_uri):
    """No open redirect: an unregistered redirect_uri gets an error page, neither consent nor a redirect, even
    for errors that a registered one would get back as ?error=…"""
    for params in (
        authorize_params("xero", redirect_uri=redirect_uri),
        authorize_params("xero", redirect_uri=redirect_uri, response_type="token"),
    ):
        page = client.get(AUTHORIZE["xero"] + "?" + urlencode(params))
        assert page.status_code == 400
        assert "Location" not in page
        assert b"not one registered" in page.content
        posted = form_post(client, AUTHORIZE["xero"], {**params, "decision": "allow"})
        assert posted.status_code == 400 and "Location" not in posted


def test_the_products_callback_at_site_url_is_accepted(client, settings):
    settings.SITE_URL = "https://connections.example.com"
    params = authorize_params("xero", redirect_uri="https://connections.example.com/integrations/oauth/callback/")
    assert client.get(AUTHORIZE["xero"] + "?" + urlencode(params)).status_code == 200
