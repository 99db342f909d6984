"""What integrations adds to the frame of accounts' pages (registered in IntegrationsConfig.ready())."""

from __future__ import annotations

from accounts.permissions import Access
from integrations.selectors import connections_needing_reconnect, main_connections_for


def reconnect_banner(access: Access) -> dict:
    """Every page of a business names its connections that need reconnecting until they are fixed."""
    return {"expired_connections": connections_needing_reconnect(business=access.business)}


def client_connection_status(clients: list[Access]) -> dict:
    """The client switcher's connection status: one query for every client, not one per client."""
    return {"switcher_connections": main_connections_for(business_ids=[a.business.id for a in clients])}
