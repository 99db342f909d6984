"""Every write about connections and publishing defaults, with the rules R1–R7 of DESIGN.md §4, by subject:

- :mod:`.connections` — making a connection, renewing it, marking it as needing a reconnect;
- :mod:`.oauth` — the provider's callback, the organisation choice, purging stale attempts;
- :mod:`.disconnect` — what a disconnect would change, doing it, revoking the grant;
- :mod:`.defaults` — the publishing defaults.

What a connection event does to items, supplier rules and publish jobs belongs to publishing: these
services announce it through :mod:`integrations.events` and never import publishing. The public names
are re-exported here (``from integrations import services``; ``services.connection_start(...)``).
"""

from integrations.services._common import connection_get_live
from integrations.services.connections import (
    ConnectStart,
    connection_check_can_add,
    connection_create,
    connection_mark_needs_reconnect,
    connection_reconnect_start,
    connection_renew,
    connection_start,
    oauth_redirect_uri,
)
from integrations.services.defaults import publishing_defaults_get, publishing_defaults_set
from integrations.services.disconnect import DisconnectEffects, connection_disconnect, connection_disconnect_preview
from integrations.services.oauth import (
    OAuthOutcome,
    oauth_callback,
    oauth_choose_organisation,
    oauth_pending_for,
    oauth_states_purge,
)

__all__ = [
    "ConnectStart",
    "DisconnectEffects",
    "OAuthOutcome",
    "connection_check_can_add",
    "connection_create",
    "connection_disconnect",
    "connection_disconnect_preview",
    "connection_get_live",
    "connection_mark_needs_reconnect",
    "connection_reconnect_start",
    "connection_renew",
    "connection_start",
    "oauth_callback",
    "oauth_choose_organisation",
    "oauth_pending_for",
    "oauth_redirect_uri",
    "oauth_states_purge",
    "publishing_defaults_get",
    "publishing_defaults_set",
]
