"""Reads about connections."""

from accounts.models import Business
from integrations.models import LIVE_STATUSES, Connection, ProviderKind


def connections_live(*, business: Business):
    """Connections that are not disconnected (active or needing a reconnect)."""
    return Connection.objects.for_business(business).filter(status__in=LIVE_STATUSES).select_related("connected_by")


def main_connection_for(*, business: Business) -> Connection | None:
    return connections_live(business=business).filter(kind=ProviderKind.MAIN).first()
