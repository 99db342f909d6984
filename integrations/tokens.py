"""OAuth access tokens for provider clients, refreshed one connection at a time.

Xero rotates its refresh token on every refresh: two workers refreshing the same connection at
once would each spend it, and the loser would lock the business out. So refreshes of one
connection are serialised by a PostgreSQL advisory lock on the connection's id (a lock on that
row's identity that, unlike ``SELECT … FOR UPDATE``, needs no open transaction around the HTTP
call), and the rotated token is saved before it is used.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import UTC, datetime

from django.db import connection as db

from integrations.models import Connection
from integrations.providers import registry
from integrations.providers.base import AuthError

EARLY_REFRESH_SECONDS = 60


@contextmanager
def connection_refresh_lock(connection: Connection):
    key = connection.pk.int & 0x7FFF_FFFF_FFFF_FFFF
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [key])
    try:
        yield
    finally:
        with db.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def _fresh(connection: Connection) -> Connection:
    return Connection.objects.for_business(connection.business_id).get(pk=connection.pk)


def access_token(connection: Connection) -> str:
    """A usable access token, refreshing it first when it is about to expire."""
    creds = connection.credentials
    if creds.get("access_token") and float(creds.get("expires_at") or 0) - EARLY_REFRESH_SECONDS > time.time():
        return creds["access_token"]
    return refresh(connection, stale_access_token=creds.get("access_token"))


def refresh(connection: Connection, *, stale_access_token: str | None) -> str:
    """Refresh once per connection however many workers ask; returns the new access token.

    ``stale_access_token`` is the token the caller found wanting: when the stored one differs,
    another worker already refreshed and no call is made.
    """
    from integrations.services import connection_mark_needs_reconnect

    provider = registry.get(connection.provider)
    with connection_refresh_lock(connection):
        current = _fresh(connection)
        creds = current.credentials
        refreshed_meanwhile = creds.get("access_token") and creds.get("access_token") != stale_access_token
        if refreshed_meanwhile and float(creds.get("expires_at") or 0) - EARLY_REFRESH_SECONDS > time.time():
            connection.credentials = creds
            return creds["access_token"]
        if not creds.get("refresh_token"):
            connection_mark_needs_reconnect(connection=current, reason="There is no refresh token; reconnect.")
            raise AuthError(f"{provider.name} needs to be reconnected.")
        try:
            token = provider.refresh_token(refresh_token=creds["refresh_token"])
        except AuthError as exc:
            connection_mark_needs_reconnect(connection=current, reason=exc.message)
            raise
        new = {
            **creds,
            **{k: token[k] for k in ("access_token", "refresh_token", "expires_at", "token_type") if k in token},
        }
        expires = datetime.fromtimestamp(int(new["expires_at"]), tz=UTC) if new.get("expires_at") else None
        current.credentials = new
        current.access_token_expires_at = expires
        current.save(update_fields=["credentials", "access_token_expires_at"])  # saved before it is used
        connection.credentials = new
        return new["access_token"]
