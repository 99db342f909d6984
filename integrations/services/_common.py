"""What the connections services share: the provider of a key, refusals, the business lock, snapshots."""

from __future__ import annotations

from accounts.models import Business
from dext_connections.errors import ApplicationError, NotFound
from integrations.models import Connection
from integrations.providers import registry
from integrations.providers.base import Provider, RateLimited, TransientError
from integrations.selectors import connections_live


def provider_unavailable(provider: Provider, exc: TransientError | RateLimited) -> ApplicationError:
    return ApplicationError(
        "provider_unavailable",
        f"{provider.name} could not be reached ({exc.message}) Nothing was changed; try again in a moment.",
        status_code=503,
    )


def provider_for(key: str) -> Provider:
    try:
        return registry.get(key)
    except registry.UnknownProvider:
        raise ApplicationError("unknown_provider", f"There is no provider called {key!r}.") from None


def lock_business(business: Business) -> Business:
    return Business.objects.select_for_update().get(pk=business.pk)


def connection_snapshot(connection: Connection) -> dict:
    return {
        "provider": connection.provider,
        "status": connection.status,
        "organisation_name": connection.organisation_name,
    }


def wrong_organisation(connection: Connection) -> ApplicationError:
    """A reconnect must reach the organisation the connection was made with: its items, defaults and rules belong
    to that ledger."""
    return ApplicationError(
        "wrong_organisation",
        f"These details reach another organisation than {connection.organisation_name or 'the connected one'}; "
        f"reconnect {connection.name} with that organisation, or disconnect it and connect the other.",
    )


def connection_get_live(*, business: Business, connection_id) -> Connection:
    connection = connections_live(business=business).by_id(connection_id)
    if connection is None:
        raise NotFound("No such connection.")
    return connection
