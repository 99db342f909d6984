"""Reads about connections."""

from accounts.models import Business
from integrations.models import LIVE_STATUSES, Connection, ConnectionStatus, ProviderKind


def connections_live(*, business: Business):
    """Connections that are not disconnected (active or needing a reconnect)."""
    return Connection.objects.for_business(business).filter(status__in=LIVE_STATUSES).select_related("connected_by")


def main_connection_for(*, business: Business) -> Connection | None:
    return connections_live(business=business).filter(kind=ProviderKind.MAIN).first()


def connections_needing_reconnect(*, business: Business) -> list[Connection]:
    """Connections whose authorisation expired: every page of the business says so until fixed."""
    return list(connections_live(business=business).filter(status=ConnectionStatus.NEEDS_RECONNECT))


def main_connections_for(*, business_ids: list) -> dict:
    """The live main connection of each of these businesses (already checked to be reachable), by id."""
    if not business_ids:
        return {}
    rows = Connection.objects.unscoped().filter(
        business_id__in=business_ids, kind=ProviderKind.MAIN, status__in=LIVE_STATUSES
    )
    return {c.business_id: c for c in rows}
