"""Business settings > Connections as pages: read-only for those who may not manage, 403 for forged POSTs."""

import pytest
from django.urls import reverse

from integrations.models import ConnectionStatus
from integrations.services import connection_mark_needs_reconnect


def page(business, name="connections", **kwargs):
    return reverse(name, kwargs={"business_id": business.id, **kwargs})


def test_empty_page_offers_main_providers_and_explains_disabled_additionals(client, world):
    client.force_login(world.users["business_admin"])
    content = client.get(page(world.a)).content.decode()
    for name in ("Xero", "QuickBooks Online", "QuickBooks Desktop"):
        assert f'aria-label="Connect {name}"' in content
    assert 'data-testid="additional-disabled-reason"' in content
    assert content.count('disabled title="Connect your main accounting software first"') == 2
    assert 'data-testid="defaults-section"' not in content


def test_connected_page_shows_main_additional_and_defaults(client, world, connect):
    connect(world.a, "xero", user=world.users["business_admin"], organisation="Acme Xero Org")
    connect(world.a, "bill_com")
    client.force_login(world.users["business_admin"])
    content = client.get(page(world.a)).content.decode()
    assert "Acme Xero Org" in content
    assert 'data-testid="defaults-section"' in content
    assert "Default publishing integration" in content and "Default expense claims integration" in content
    assert 'aria-label="Disconnect Bill.com"' in content


def test_needs_reconnect_offers_reconnect(client, world, connect):
    xero = connect(world.a, "xero")
    connection_mark_needs_reconnect(connection=xero, reason="The authorisation expired.")
    client.force_login(world.users["business_admin"])
    content = client.get(page(world.a)).content.decode()
    assert "Needs reconnect" in content and ">Reconnect</button>" in content


@pytest.mark.parametrize("role", ["standard", "standard_publisher"])
def test_read_only_without_buttons_and_forged_posts_are_403(client, world, connect, role):
    xero = connect(world.a, "xero")
    connect(world.a, "bill_com")
    client.force_login(world.users[role])
    content = client.get(page(world.a)).content.decode()
    assert 'data-testid="read-only-note"' in content
    assert ">Disconnect<" not in content and ">Connect<" not in content and "Save defaults" not in content
    forged = [
        client.post(page(world.a, "connect"), {"provider": "approvalmax"}),
        client.post(page(world.a, "disconnect", connection_id=xero.id)),
        client.post(page(world.a, "connection_defaults"), {"default_publishing_connection": xero.id}),
        client.post(page(world.a, "connect_credentials", provider="bill_com"), {"username": "sandbox"}),
        client.get(page(world.a, "audit_log")),
    ]
    assert [r.status_code for r in forged] == [403] * len(forged)
    xero.refresh_from_db()
    assert xero.status == ConnectionStatus.ACTIVE


def test_disconnect_confirmation_shows_refusal_for_main(client, world, connect):
    xero = connect(world.a, "xero")
    connect(world.a, "bill_com")
    client.force_login(world.users["business_admin"])
    content = client.get(page(world.a, "disconnect", connection_id=xero.id)).content.decode()
    assert 'data-testid="disconnect-refused"' in content and "Disconnect Bill.com first" in content
    response = client.post(page(world.a, "disconnect", connection_id=xero.id), follow=True)
    assert "Disconnect Bill.com first" in response.content.decode()
    xero.refresh_from_db()
    assert xero.status == ConnectionStatus.ACTIVE


def test_disconnect_confirmation_counts_then_disconnects(client, world, connect):
    connect(world.a, "xero")
    bill = connect(world.a, "bill_com")
    client.force_login(world.users["business_admin"])
    content = client.get(page(world.a, "disconnect", connection_id=bill.id)).content.decode()
    assert 'data-testid="disconnect-preview"' in content
    response = client.post(page(world.a, "disconnect", connection_id=bill.id), follow=True)
    assert "Bill.com is disconnected." in response.content.decode()
    bill.refresh_from_db()
    assert bill.status == ConnectionStatus.DISCONNECTED


def test_quickbooks_desktop_connect_shows_password_once_and_offers_qwc(client, world):
    client.force_login(world.users["business_admin"])
    response = client.post(page(world.a, "connect"), {"provider": "quickbooks_desktop"})
    content = response.content.decode()
    assert response.status_code == 200 and 'data-testid="web-connector-credentials"' in content
    assert "shown only once" in content
    follow_up = client.get(page(world.a)).content.decode()
    assert "Download the Web Connector file" in follow_up


def test_connection_pages_of_another_tenant_are_404(client, world, connect):
    theirs = connect(world.b, "xero")
    client.force_login(world.users["business_admin"])
    for url in (
        page(world.b),
        page(world.a, "disconnect", connection_id=theirs.id),
        page(world.a, "qwc_download", connection_id=theirs.id),
        page(world.b, "audit_log"),
    ):
        assert client.get(url).status_code == 404, f"{url} leaked"
    assert client.post(page(world.a, "disconnect", connection_id=theirs.id)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == ConnectionStatus.ACTIVE


def test_audit_log_page_for_admins(client, world, connect):
    connect(world.a, "xero", user=world.users["business_admin"])
    client.force_login(world.users["business_admin"])
    content = client.get(page(world.a, "audit_log")).content.decode()
    assert "connection.connected" in content and "business_admin@alpha.test" in content


def test_client_switcher_shows_connection_status(client, world, connect):
    xero = connect(world.a, "xero")
    connection_mark_needs_reconnect(connection=xero, reason="expired")
    client.force_login(world.users["practice_practice_admin"])
    content = client.get(reverse("switch")).content.decode()
    assert 'data-status="needs_reconnect"' in content and "Xero · Needs reconnect" in content
    assert 'data-status="none"' in content, "Charlie Ltd has no connection"


def test_qwc_file_downloads_for_the_web_connector_connection(client, world):
    client.force_login(world.users["business_admin"])
    client.post(page(world.a, "connect"), {"provider": "quickbooks_desktop"})
    from integrations.selectors import main_connection_for

    qbd = main_connection_for(business=world.a)
    response = client.get(page(world.a, "qwc_download", connection_id=qbd.id))
    assert response.status_code == 200
    body = response.content.decode()
    assert "<QBWCXML>" in body and f"<UserName>{qbd.external_tenant_id}</UserName>" in body
    assert "/qbwc/" in body


def test_every_page_of_the_business_warns_while_a_connection_needs_reconnect(client, world, connect):
    xero = connect(world.a, "xero")
    client.force_login(world.users["standard"])
    assert 'data-testid="reconnect-banner"' not in client.get(page(world.a, "costs_inbox")).content.decode()
    connection_mark_needs_reconnect(connection=xero, reason="expired")
    for name in ("costs_inbox", "sales_list", "connections"):
        assert 'data-testid="reconnect-banner"' in client.get(page(world.a, name)).content.decode(), name
    client.force_login(world.users["b_admin"])
    assert 'data-testid="reconnect-banner"' not in client.get(page(world.b, "costs_inbox")).content.decode(), "leaked"
