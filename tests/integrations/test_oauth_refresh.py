"""Refreshing an OAuth token (every OAuth provider): only ``invalid_grant`` means the grant is gone and the
connection needs a reconnect; ``temporarily_unavailable``, other refusals, 5xx and the network are transient (the
refresh token is kept and the refresh tried again)."""

import httpx
import pytest

from integrations import http, tokens
from integrations.models import ConnectionStatus
from integrations.providers import registry
from integrations.providers.base import AuthError, TransientError
from integrations.sandbox import services as sandbox_services

OAUTH_PROVIDERS = ["xero", "quickbooks_online", "approvalmax"]


@pytest.fixture
def token_endpoint_answers():
    """The token endpoint answers what the test says (the network stands in for the provider)."""

    def answer(respond):
        http.set_transport(httpx.MockTransport(respond))

    yield answer
    http.set_transport(None)


def _refresh(provider_key: str):
    return registry.get(provider_key).refresh_token(refresh_token="rt-1")


@pytest.mark.parametrize("provider_key", OAUTH_PROVIDERS)
def test_invalid_grant_is_an_auth_error(provider_key, token_endpoint_answers):
    token_endpoint_answers(lambda request: httpx.Response(400, json={"error": "invalid_grant"}))
    with pytest.raises(AuthError):
        _refresh(provider_key)


@pytest.mark.parametrize("provider_key", OAUTH_PROVIDERS)
def test_temporarily_unavailable_is_transient(provider_key, token_endpoint_answers):
    token_endpoint_answers(lambda request: httpx.Response(400, json={"error": "temporarily_unavailable"}))
    with pytest.raises(TransientError):
        _refresh(provider_key)


@pytest.mark.parametrize("provider_key", OAUTH_PROVIDERS)
@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(503, text="<html>Service Unavailable</html>"),
        httpx.Response(500, json={"error": "server_error"}),
        httpx.Response(502, json={}),
    ],
    ids=["503-page", "500-server_error", "502-empty"],
)
def test_a_server_error_is_transient(provider_key, answer, token_endpoint_answers):
    token_endpoint_answers(lambda request: answer)
    with pytest.raises(TransientError):
        _refresh(provider_key)


@pytest.mark.parametrize("provider_key", OAUTH_PROVIDERS)
def test_a_network_error_is_transient(provider_key, token_endpoint_answers):
    def refuse(request):
        raise httpx.ConnectError("connection refused", request=request)

    token_endpoint_answers(refuse)
    with pytest.raises(TransientError):
        _refresh(provider_key)


def test_a_transient_refresh_keeps_the_connection_and_its_refresh_token(world, connect, token_endpoint_answers):
    connection = connect(world.a, "xero")
    connection.credentials = {**connection.credentials, "expires_at": 1}
    connection.save(update_fields=["credentials"])
    token_endpoint_answers(lambda request: httpx.Response(400, json={"error": "temporarily_unavailable"}))
    with pytest.raises(TransientError):
        tokens.access_token(connection)
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.ACTIVE and connection.credentials["refresh_token"] == "rt"


def test_an_invalid_grant_marks_the_connection_for_reconnect(world, connect, token_endpoint_answers):
    connection = connect(world.a, "xero")
    connection.credentials = {**connection.credentials, "expires_at": 1}
    connection.save(update_fields=["credentials"])
    token_endpoint_answers(lambda request: httpx.Response(400, json={"error": "invalid_grant"}))
    with pytest.raises(AuthError):
        tokens.access_token(connection)
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.NEEDS_RECONNECT


def test_a_revoked_refresh_token_at_the_sandbox_is_invalid_grant(client, world, sandbox_http):
    from tests.conftest import oauth_connect

    connection = oauth_connect(client, world.a, world.users["business_admin"], "xero")
    sandbox_services.set_fault("xero", "revoke_refresh")
    with pytest.raises(AuthError, match="invalid_grant"):
        _refresh_with(connection)


def _refresh_with(connection):
    return registry.get(connection.provider).refresh_token(refresh_token=connection.credentials["refresh_token"])
