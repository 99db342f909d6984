"""Disconnecting gives the authorisation up at the provider, where the provider offers a way (issue 12), and a
provider that cannot be reached does not stop the disconnect."""

import pytest

from integrations import services
from integrations.models import ConnectionStatus
from integrations.sandbox.models import BillComSession, Grant, Token, TokenKind
from tests.conftest import bill_com_connect, oauth_connect

pytestmark = pytest.mark.usefixtures("sandbox_http")


def _grant_of(connection) -> Grant:
    return Token.objects.get(value=connection.credentials["refresh_token"], kind=TokenKind.REFRESH).grant


def test_xero_disconnect_deletes_the_tenant_connection_and_revokes_the_refresh_token(client, world):
    xero = oauth_connect(client, world.a, world.users["business_admin"], "xero")
    assert xero.credentials["xero_connection_id"], "the connection id from GET /connections is kept"
    grant = _grant_of(xero)
    assert grant.organisations.filter(external_id=xero.external_tenant_id).exists()
    services.connection_disconnect(business=world.a, connection_id=xero.id, actor=world.users["business_admin"])
    grant.refresh_from_db()
    assert not grant.organisations.filter(external_id=xero.external_tenant_id).exists(), "DELETE /connections/{id}"
    assert grant.revoked_at is not None, "the refresh token was revoked"


def test_xero_disconnect_with_an_expired_access_token_refreshes_first(client, world):
    xero = oauth_connect(client, world.a, world.users["business_admin"], "xero")
    xero.credentials = {**xero.credentials, "expires_at": 1, "xero_connection_id": ""}  # and an older connection
    xero.save(update_fields=["credentials"])
    grant = _grant_of(xero)
    services.connection_disconnect(business=world.a, connection_id=xero.id, actor=world.users["business_admin"])
    grant.refresh_from_db()
    assert not grant.organisations.filter(external_id=xero.external_tenant_id).exists()
    assert grant.revoked_at is not None


def test_quickbooks_online_disconnect_revokes_the_refresh_token(client, world):
    qbo = oauth_connect(client, world.a, world.users["business_admin"], "quickbooks_online")
    grant = _grant_of(qbo)
    services.connection_disconnect(business=world.a, connection_id=qbo.id, actor=world.users["business_admin"])
    grant.refresh_from_db()
    assert grant.revoked_at is not None


def test_approvalmax_disconnect_revokes_the_refresh_token(client, world, connect):
    connect(world.a, "xero")
    approvalmax = oauth_connect(client, world.a, world.users["business_admin"], "approvalmax")
    grant = _grant_of(approvalmax)
    services.connection_disconnect(business=world.a, connection_id=approvalmax.id, actor=world.users["business_admin"])
    grant.refresh_from_db()
    assert grant.revoked_at is not None


def test_bill_com_disconnect_ends_the_session(world, connect):
    connect(world.a, "xero")
    bill = bill_com_connect(world.a, world.users["business_admin"])
    session = BillComSession.objects.get(session_id=bill.credentials["session_id"])
    assert session.ended_at is None
    services.connection_disconnect(business=world.a, connection_id=bill.id, actor=world.users["business_admin"])
    session.refresh_from_db()
    assert session.ended_at is not None


def test_a_provider_that_cannot_be_reached_does_not_stop_the_disconnect(client, world, monkeypatch, caplog):
    from integrations.providers.quickbooks_online.endpoints import REVOKE

    qbo = oauth_connect(client, world.a, world.users["business_admin"], "quickbooks_online")
    monkeypatch.setenv(REVOKE.env_var, "http://nowhere.invalid")
    services.connection_disconnect(business=world.a, connection_id=qbo.id, actor=world.users["business_admin"])
    qbo.refresh_from_db()
    assert qbo.status == ConnectionStatus.DISCONNECTED and qbo.credentials == {}
    assert "could not revoke" in caplog.text
    assert qbo.credentials.get("refresh_token") is None
