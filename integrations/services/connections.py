"""Making a connection (R1, R2, R4), renewing it (R5), and marking it as needing a reconnect.

Rules that two concurrent requests could break (R1–R3) are checked under a row lock on the
business (``SELECT … FOR UPDATE``), and R1 is also a partial unique index in PostgreSQL. Provider
HTTP calls (token exchange, credential checks) always happen outside any transaction.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.audit import audit_record
from accounts.models import Business, User
from dext_connections.errors import ApplicationError, Conflict
from integrations import events
from integrations.lists.services import lists_refresh
from integrations.models import (
    LIVE_STATUSES,
    Connection,
    ConnectionStatus,
    OAuthState,
    ProviderKind,
    PublishingDefaults,
)
from integrations.providers import registry
from integrations.providers.base import (
    AuthKind,
    ConnectResult,
    CredentialsRefused,
    Provider,
    RateLimited,
    TransientError,
)
from integrations.selectors import connections_live
from integrations.services._common import (
    connection_get_live,
    connection_snapshot,
    lock_business,
    provider_for,
    provider_unavailable,
    wrong_organisation,
)


@dataclass
class ConnectStart:
    """What starting a connection produced: an authorize URL to open, or a made connection."""

    authorize_url: str | None = None
    connection: Connection | None = None
    shown_once: dict = field(default_factory=dict)


def connection_check_can_add(*, business: Business, provider: Provider) -> None:
    """R1 and R2 (call under the business lock for a decision that sticks)."""
    live = list(connections_live(business=business))
    same = [c for c in live if c.provider == provider.key]
    if same:
        raise Conflict("already_connected", f"{provider.name} is already connected to this business.")
    main = next((c for c in live if c.kind == ProviderKind.MAIN), None)
    if provider.kind == ProviderKind.MAIN and main is not None:
        raise Conflict(
            "main_exists",
            f"{main.name} is already this business's main accounting software. Disconnect it before connecting "
            f"{provider.name}.",
        )
    if provider.kind == ProviderKind.ADDITIONAL and main is None:
        raise Conflict(
            "main_required",
            f"Connect your main accounting software (Xero, QuickBooks Online or QuickBooks Desktop) before "
            f"{provider.name}.",
        )


def connection_create(*, business: Business, provider: Provider, result: ConnectResult, actor: User) -> Connection:
    expires_at = result.access_token_expires_at
    try:
        with transaction.atomic():
            business = lock_business(business)
            connection_check_can_add(business=business, provider=provider)
            connection = Connection.objects.create(
                business=business,
                provider=provider.key,
                kind=provider.kind,
                status=ConnectionStatus.ACTIVE,
                organisation_name=result.organisation_name[:255],
                external_tenant_id=result.external_tenant_id[:255],
                credentials=result.credentials,
                access_token_expires_at=expires_at,
                connected_by=actor,
            )
            if provider.kind == ProviderKind.MAIN:
                # R4: both defaults start at the main connection.
                PublishingDefaults.objects.for_business(business).update_or_create(
                    business=business,
                    defaults={
                        "default_publishing_connection": connection,
                        "default_expense_claims_connection": connection if provider.accepts("expense_claim") else None,
                    },
                )
            audit_record(
                business=business,
                actor=actor,
                action="connection.connected",
                object_type="connection",
                object_id=connection.id,
                after=connection_snapshot(connection),
            )
            events.connected(connection=connection, actor=actor)
            if registry.get(connection.provider).list_kinds:
                lists_refresh(connection=connection)  # "Syncing lists…" until the first sync ends (task on commit)
    except IntegrityError:
        # The partial unique indexes caught a race that the lock did not (e.g. another database writer).
        raise Conflict("already_connected", f"{provider.name} was connected at the same moment.") from None
    return connection


def oauth_redirect_uri() -> str:
    return f"{settings.SITE_URL}{reverse('oauth_callback')}"


def connection_start(*, business: Business, provider_key: str, credentials: dict | None, actor: User) -> ConnectStart:
    """Begin connecting ``provider_key``: an authorize URL (OAuth), or the connection itself."""
    provider = provider_for(provider_key)
    connection_check_can_add(business=business, provider=provider)  # early answer; re-checked under lock
    if provider.auth is AuthKind.OAUTH2:
        return ConnectStart(authorize_url=_oauth_begin(business=business, provider=provider, actor=actor))
    if provider.auth is AuthKind.CREDENTIALS:
        try:
            result = provider.connect_with_credentials(credentials=credentials or {})
        except CredentialsRefused as exc:
            raise ApplicationError(
                "invalid_credentials", f"{provider.name} refused these details: {exc.message}"
            ) from None
        except (TransientError, RateLimited) as exc:  # a throttled sign-in is no refused one: try again later
            raise provider_unavailable(provider, exc) from None
        return ConnectStart(
            connection=connection_create(business=business, provider=provider, result=result, actor=actor)
        )
    result = provider.connect_web_connector(business_name=business.name)
    connection = connection_create(business=business, provider=provider, result=result, actor=actor)
    return ConnectStart(connection=connection, shown_once=result.extra)


def _oauth_begin(*, business: Business, provider: Provider, actor: User, reconnect: Connection | None = None) -> str:
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)
    OAuthState.objects.create(
        business=business,
        state=state,
        provider=provider.key,
        user=actor,
        secrets={"code_verifier": verifier},
        reconnect=reconnect,
    )
    return provider.authorization_url(state=state, code_verifier=verifier, redirect_uri=oauth_redirect_uri())


def connection_reconnect_start(
    *, business: Business, connection_id, credentials: dict | None, actor: User
) -> ConnectStart:
    """R5: renew the authorisation of an existing connection, keeping defaults, rules and items."""
    connection = connection_get_live(business=business, connection_id=connection_id)
    provider = provider_for(connection.provider)
    if provider.auth is AuthKind.OAUTH2:
        return ConnectStart(
            authorize_url=_oauth_begin(business=business, provider=provider, actor=actor, reconnect=connection)
        )
    if provider.auth is AuthKind.CREDENTIALS:
        try:
            result = provider.connect_with_credentials(credentials=credentials or {})
        except CredentialsRefused as exc:
            raise ApplicationError(
                "invalid_credentials", f"{provider.name} refused these details: {exc.message}"
            ) from None
        except (TransientError, RateLimited) as exc:  # a throttled sign-in is no refused one: try again later
            raise provider_unavailable(provider, exc) from None
        if connection.external_tenant_id and result.external_tenant_id != connection.external_tenant_id:
            raise wrong_organisation(connection)
        return ConnectStart(connection=connection_renew(connection=connection, result=result, actor=actor))
    raise ApplicationError("not_reconnectable", f"{provider.name} reconnects from the Web Connector on your PC.")


def connection_renew(*, connection: Connection, result: ConnectResult, actor: User) -> Connection:
    with transaction.atomic():
        connection = Connection.objects.for_business(connection.business_id).select_for_update().get(pk=connection.pk)
        if connection.status not in LIVE_STATUSES:
            raise Conflict("not_connected", "This connection was disconnected meanwhile.")
        before = connection_snapshot(connection)
        connection.credentials = result.credentials
        connection.access_token_expires_at = result.access_token_expires_at
        connection.status = ConnectionStatus.ACTIVE
        connection.status_reason = ""
        connection.save()
        audit_record(
            business=connection.business,
            actor=actor,
            action="connection.reconnected",
            object_type="connection",
            object_id=connection.id,
            before=before,
            after=connection_snapshot(connection),
        )
    events.reconnected(connection=connection, actor=actor)
    if registry.get(connection.provider).list_kinds:
        lists_refresh(connection=connection)  # what changed while the authorisation was gone
    return connection


def connection_mark_needs_reconnect(*, connection: Connection, reason: str) -> bool:
    """The provider refused our authorisation: the connection needs a reconnect. True when it changed."""
    changed = (
        Connection.objects.for_business(connection.business_id)
        .filter(pk=connection.pk, status=ConnectionStatus.ACTIVE)
        .update(status=ConnectionStatus.NEEDS_RECONNECT, status_reason=reason[:500])
    )
    if changed:
        audit_record(
            business=Business(pk=connection.business_id),
            actor=None,
            action="connection.needs_reconnect",
            object_type="connection",
            object_id=connection.id,
            before={"status": ConnectionStatus.ACTIVE},
            after={"status": ConnectionStatus.NEEDS_RECONNECT, "reason": reason[:500]},
        )
        events.needs_reconnect(connection=connection, reason=reason)
    return bool(changed)
