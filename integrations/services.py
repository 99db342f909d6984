"""Every write about connections and publishing defaults, with the rules R1–R7 of DESIGN.md §4.

Rules that two concurrent requests could break (R1–R3) are checked under a row lock on the
business (``SELECT … FOR UPDATE``), and R1 is also a partial unique index in PostgreSQL. Provider
HTTP calls (token exchange, credential checks) always happen outside any transaction.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Business, User
from accounts.permissions import Action, require
from accounts.selectors import business_access_for
from dext_connections.errors import ApplicationError, Conflict, NotFound
from integrations.audit import audit_record
from integrations.models import (
    LIVE_STATUSES,
    Connection,
    ConnectionStatus,
    OAuthState,
    ProviderKind,
    PublishingDefaults,
)
from integrations.providers import registry
from integrations.providers.base import AuthError, AuthKind, ConnectResult, CredentialsRefused, Provider, TransientError
from integrations.selectors import connections_live

log = logging.getLogger(__name__)


@dataclass
class ConnectStart:
    """What starting a connection produced: an authorize URL to open, or a made connection."""

    authorize_url: str | None = None
    connection: Connection | None = None
    shown_once: dict = field(default_factory=dict)


@dataclass
class OAuthOutcome:
    connection: Connection | None = None
    pending: OAuthState | None = None  # the grant reaches several organisations: ask the user
    organisations: list[dict] = field(default_factory=list)
    reconnected: bool = False


def _provider_unavailable(provider: Provider, exc: TransientError) -> ApplicationError:
    return ApplicationError(
        "provider_unavailable",
        f"{provider.name} could not be reached ({exc.message}) Nothing was changed; try again in a moment.",
        status_code=503,
    )


def _provider(key: str) -> Provider:
    try:
        return registry.get(key)
    except registry.UnknownProvider:
        raise ApplicationError("unknown_provider", f"There is no provider called {key!r}.") from None


def _lock_business(business: Business) -> Business:
    return Business.objects.select_for_update().get(pk=business.pk)


def _connection_snapshot(connection: Connection) -> dict:
    return {
        "provider": connection.provider,
        "status": connection.status,
        "organisation_name": connection.organisation_name,
    }


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


def _connection_create(*, business: Business, provider: Provider, result: ConnectResult, actor: User) -> Connection:
    expires_at = result.access_token_expires_at
    try:
        with transaction.atomic():
            business = _lock_business(business)
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
                after=_connection_snapshot(connection),
            )
            from publishing.services import items_resolve_unpublished

            items_resolve_unpublished(business=business, actor=actor, reason=f"{provider.name} connected")
    except IntegrityError:
        # The partial unique indexes caught a race that the lock did not (e.g. another database writer).
        raise Conflict("already_connected", f"{provider.name} was connected at the same moment.") from None
    return connection


def _token_expiry(token: dict):
    if token.get("expires_at"):
        return datetime.fromtimestamp(int(token["expires_at"]), tz=UTC)
    return None


def _stored_token(token: dict) -> dict:
    keep = ("access_token", "refresh_token", "token_type", "expires_at", "scope", "id_token")
    return {k: token[k] for k in keep if k in token}


def oauth_redirect_uri() -> str:
    return f"{settings.SITE_URL}{reverse('oauth_callback')}"


def connection_start(*, business: Business, provider_key: str, credentials: dict | None, actor: User) -> ConnectStart:
    """Begin connecting ``provider_key``: an authorize URL (OAuth), or the connection itself."""
    provider = _provider(provider_key)
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
        except TransientError as exc:
            raise _provider_unavailable(provider, exc) from None
        return ConnectStart(
            connection=_connection_create(business=business, provider=provider, result=result, actor=actor)
        )
    result = provider.connect_web_connector(business_name=business.name)
    connection = _connection_create(business=business, provider=provider, result=result, actor=actor)
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
    provider = _provider(connection.provider)
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
        except TransientError as exc:
            raise _provider_unavailable(provider, exc) from None
        if connection.external_tenant_id and result.external_tenant_id != connection.external_tenant_id:
            raise _wrong_organisation(connection)
        return ConnectStart(connection=_connection_renew(connection=connection, result=result, actor=actor))
    raise ApplicationError("not_reconnectable", f"{provider.name} reconnects from the Web Connector on your PC.")


def _wrong_organisation(connection: Connection) -> ApplicationError:
    """A reconnect must reach the organisation the connection was made with: its items, defaults and rules belong
    to that ledger."""
    return ApplicationError(
        "wrong_organisation",
        f"These details reach another organisation than {connection.organisation_name or 'the connected one'}; "
        f"reconnect {connection.name} with that organisation, or disconnect it and connect the other.",
    )


def _connection_renew(*, connection: Connection, result: ConnectResult, actor: User) -> Connection:
    with transaction.atomic():
        connection = Connection.objects.for_business(connection.business_id).select_for_update().get(pk=connection.pk)
        if connection.status not in LIVE_STATUSES:
            raise Conflict("not_connected", "This connection was disconnected meanwhile.")
        before = _connection_snapshot(connection)
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
            after=_connection_snapshot(connection),
        )
    from publishing.services import items_requeue_after_reconnect

    items_requeue_after_reconnect(connection=connection, actor=actor)
    return connection


def _oauth_claim_state(*, user: User, state: str) -> OAuthState:
    """Accept only a state we issued, to the same signed-in user, once, while fresh."""
    refused = ApplicationError(
        "invalid_state", "This authorisation response is not one we started for you, or it was already used."
    )
    if not state:
        raise refused
    with transaction.atomic():
        row = OAuthState.objects.unscoped().select_for_update().select_related("business").filter(state=state).first()
        if row is None or row.user_id != user.pk or row.used_at is not None:
            raise refused
        if _oauth_expired(row):
            raise ApplicationError("expired_state", "The authorisation took too long. Please connect again.")
        row.used_at = timezone.now()
        row.save(update_fields=["used_at"])
    return row


def _require_manager(*, user: User, business: Business) -> None:
    """The user's role is checked again when the provider sends them back: a membership removed or downgraded while
    they were on the consent page must not still connect (or choose an organisation)."""
    access = business_access_for(user=user, business_id=business.pk)
    if access is None:
        raise NotFound("No such business.")
    require(access, Action.MANAGE_CONNECTIONS)


def oauth_callback(*, user: User, params: dict) -> OAuthOutcome:
    """The provider redirected back: check ``state``, exchange the code, make or renew the connection."""
    row = _oauth_claim_state(user=user, state=params.get("state", ""))
    _require_manager(user=user, business=row.business)
    provider = _provider(row.provider)
    if params.get("error"):
        raise ApplicationError("access_denied", f"{provider.name} did not grant access ({params['error']}).")
    if not params.get("code"):
        raise ApplicationError("invalid_callback", f"{provider.name} sent no authorisation code.")
    try:
        token = provider.exchange_code(
            code=params["code"], code_verifier=row.secrets["code_verifier"], redirect_uri=oauth_redirect_uri()
        )
        grant = provider.oauth_complete(token=token, callback_params=params)
    except AuthError as exc:
        raise ApplicationError("access_denied", exc.message) from None
    except TransientError as exc:
        raise _provider_unavailable(provider, exc) from None
    organisations = grant.organisations
    if row.reconnect_id:
        current = row.reconnect
        match = [o for o in organisations if o["id"] == current.external_tenant_id] or (
            organisations if not current.external_tenant_id else []
        )
        if not match:
            raise _wrong_organisation(current)
        result = _oauth_result(token=grant.token, organisation=match[0])
        return OAuthOutcome(
            connection=_connection_renew(connection=current, result=result, actor=user), reconnected=True
        )
    if not organisations:
        raise ApplicationError("no_organisation", f"The {provider.name} authorisation reaches no organisation.")
    if len(organisations) > 1:
        row.secrets = {**row.secrets, "token": _stored_token(grant.token), "organisations": organisations}
        row.save(update_fields=["secrets"])
        return OAuthOutcome(pending=row, organisations=organisations)
    connection = _connection_create(
        business=row.business,
        provider=provider,
        result=_oauth_result(token=grant.token, organisation=organisations[0]),
        actor=user,
    )
    OAuthState.objects.unscoped().filter(pk=row.pk).update(completed_at=timezone.now(), secrets={})
    return OAuthOutcome(connection=connection)


def _oauth_result(*, token: dict, organisation: dict) -> ConnectResult:
    return ConnectResult(
        organisation_name=organisation["name"],
        external_tenant_id=organisation["id"],
        credentials={**_stored_token(token), **organisation.get("credentials", {})},
        access_token_expires_at=_token_expiry(token),
    )


def _oauth_expired(row: OAuthState) -> bool:
    return timezone.now() - row.created_at > timedelta(seconds=settings.OAUTH_STATE_MAX_AGE_SECONDS)


def oauth_pending_for(*, user: User, business: Business, state_id) -> OAuthState:
    """A grant waiting for the user to pick one of its organisations. It holds tokens, so it lasts as long as an
    authorisation attempt (OAUTH_STATE_MAX_AGE_SECONDS); an expired one is wiped on sight (and by the purge)."""
    row = OAuthState.objects.for_business(business).filter(user=user, completed_at=None).by_id(state_id)
    if row is not None and _oauth_expired(row):
        OAuthState.objects.for_business(business).filter(pk=row.pk).update(secrets={})
        row = None
    if row is None or row.used_at is None or "organisations" not in row.secrets:
        raise NotFound("This organisation choice has expired. Please connect again.")
    return row


def oauth_states_purge() -> int:
    """Delete authorisation attempts older than OAUTH_STATE_MAX_AGE_SECONDS (with the PKCE verifiers and pending
    grants' tokens they hold). Run by beat; answers how many went."""
    cutoff = timezone.now() - timedelta(seconds=settings.OAUTH_STATE_MAX_AGE_SECONDS)
    deleted, _ = OAuthState.objects.unscoped().filter(created_at__lt=cutoff).delete()
    return deleted


def oauth_choose_organisation(*, user: User, business: Business, state_id, organisation_id: str) -> Connection:
    """The user picked one of several organisations that the grant reaches."""
    _require_manager(user=user, business=business)
    with transaction.atomic():
        row = oauth_pending_for(user=user, business=business, state_id=state_id)
        row = OAuthState.objects.for_business(business).select_for_update().get(pk=row.pk)
        if row.completed_at is not None:
            raise NotFound("This organisation choice was already made.")
        organisation = next((o for o in row.secrets["organisations"] if o["id"] == organisation_id), None)
        if organisation is None:
            raise ApplicationError("invalid", "Choose one of the organisations listed.")
        token = row.secrets["token"]
        row.completed_at = timezone.now()
        row.secrets = {}
        row.save(update_fields=["completed_at", "secrets"])
    provider = _provider(row.provider)
    return _connection_create(
        business=business, provider=provider, result=_oauth_result(token=token, organisation=organisation), actor=user
    )


def connection_get_live(*, business: Business, connection_id) -> Connection:
    connection = connections_live(business=business).by_id(connection_id)
    if connection is None:
        raise NotFound("No such connection.")
    return connection


@dataclass
class DisconnectEffects:
    defaults_moved: int = 0
    items_reassigned: int = 0
    supplier_rules_cleared: int = 0
    jobs_cancelled: int = 0

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _additional_blocking(*, business: Business, connection: Connection) -> list[Connection]:
    if connection.kind != ProviderKind.MAIN:
        return []
    return [c for c in connections_live(business=business) if c.kind == ProviderKind.ADDITIONAL]


def _refuse_if_additional_active(blocking: list[Connection], connection: Connection) -> None:
    if blocking:
        names = " and ".join(c.name for c in blocking)
        raise Conflict(
            "additional_active",
            f"Disconnect {names} first: {connection.name} is the main connection and cannot be disconnected while "
            f"an additional integration is active.",
            extra={"additional": [{"id": str(c.id), "name": c.name} for c in blocking]},
        )


def connection_disconnect_preview(*, business: Business, connection_id) -> dict:
    """What a disconnect would change (R6), as counts; also whether R3 would refuse it."""
    from publishing.services import disconnect_item_effects

    connection = connection_get_live(business=business, connection_id=connection_id)
    defaults = publishing_defaults_get(business=business)
    moved = sum(
        1
        for c in (defaults.default_publishing_connection_id, defaults.default_expense_claims_connection_id)
        if c == connection.id
    )
    effects = DisconnectEffects(defaults_moved=moved if connection.kind == ProviderKind.ADDITIONAL else 0)
    counts = disconnect_item_effects(connection=connection, apply=False)
    effects.items_reassigned = counts["items"]
    effects.supplier_rules_cleared = counts["rules"]
    effects.jobs_cancelled = counts["jobs"]
    preview = effects.as_dict()
    blocking = _additional_blocking(business=business, connection=connection)
    preview["blocked_by"] = [{"id": str(c.id), "name": c.name} for c in blocking]
    return preview


def connection_disconnect(*, business: Business, connection_id, actor: User) -> DisconnectEffects:
    """R3 and R6: refuse the main while an additional is active; otherwise disconnect and tidy up."""
    from publishing.services import disconnect_item_effects

    with transaction.atomic():
        business = _lock_business(business)
        connection = connection_get_live(business=business, connection_id=connection_id)
        _refuse_if_additional_active(_additional_blocking(business=business, connection=connection), connection)
        before = _connection_snapshot(connection)
        given_up = dict(connection.credentials)  # revoked at the provider once this is committed
        connection.status = ConnectionStatus.DISCONNECTED
        connection.credentials = {}
        connection.disconnected_at = timezone.now()
        connection.disconnected_by = actor
        connection.save()

        effects = DisconnectEffects()
        defaults = PublishingDefaults.objects.for_business(business).select_for_update().first()
        if defaults is not None:
            main = connections_live(business=business).filter(kind=ProviderKind.MAIN).first()
            defaults_before = _defaults_snapshot(defaults)
            for attr in ("default_publishing_connection_id", "default_expense_claims_connection_id"):
                if getattr(defaults, attr) == connection.id:
                    replacement = main
                    if attr == "default_expense_claims_connection_id" and main and not main.accepts("expense_claim"):
                        replacement = None
                    setattr(defaults, attr, replacement.id if replacement else None)
                    effects.defaults_moved += 1 if replacement else 0
            if _defaults_snapshot(defaults) != defaults_before:
                defaults.save()
                audit_record(
                    business=business,
                    actor=actor,
                    action="defaults.moved_on_disconnect",
                    object_type="publishing_defaults",
                    object_id=business.id,
                    before=defaults_before,
                    after=_defaults_snapshot(defaults),
                )
        counts = disconnect_item_effects(connection=connection, apply=True, actor=actor)
        effects.items_reassigned = counts["items"]
        effects.supplier_rules_cleared = counts["rules"]
        effects.jobs_cancelled = counts["jobs"]
        audit_record(
            business=business,
            actor=actor,
            action="connection.disconnected",
            object_type="connection",
            object_id=connection.id,
            before=before,
            after={**_connection_snapshot(connection), **effects.as_dict()},
        )
    _revoke_at_provider(connection=connection, credentials=given_up)
    return effects


def _revoke_at_provider(*, connection: Connection, credentials: dict) -> None:
    """Best effort, after the disconnect is committed and outside any transaction: the tokens are gone from our side
    whatever the provider answers, so a failure is logged (without secrets), never shown as a failed disconnect."""
    try:
        registry.get(connection.provider).revoke(
            credentials=credentials, external_tenant_id=connection.external_tenant_id
        )
    except Exception as exc:  # the provider may be down or the grant already gone
        log.warning(
            "could not revoke the provider's authorisation on disconnect",
            extra={"connection": str(connection.pk), "provider": connection.provider, "error": type(exc).__name__},
        )


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
    return bool(changed)


def _defaults_snapshot(defaults: PublishingDefaults) -> dict:
    return {
        "default_publishing_connection": str(defaults.default_publishing_connection_id or "") or None,
        "default_expense_claims_connection": str(defaults.default_expense_claims_connection_id or "") or None,
    }


def publishing_defaults_get(*, business: Business) -> PublishingDefaults:
    defaults = PublishingDefaults.objects.for_business(business).first()
    if defaults is None:
        defaults = PublishingDefaults(business=business)
    return defaults


_UNSET = object()


def publishing_defaults_set(
    *,
    business: Business,
    actor: User,
    default_publishing_connection=_UNSET,
    default_expense_claims_connection=_UNSET,
) -> PublishingDefaults:
    """R4: set either default to an active connection of this business; re-point default-sourced items."""
    with transaction.atomic():
        business = _lock_business(business)
        active = {str(c.id): c for c in connections_live(business=business).filter(status=ConnectionStatus.ACTIVE)}
        defaults, _ = (
            PublishingDefaults.objects.for_business(business).select_for_update().get_or_create(business=business)
        )
        before = _defaults_snapshot(defaults)
        if default_publishing_connection is not _UNSET:
            chosen = active.get(str(default_publishing_connection)) if default_publishing_connection else None
            if chosen is None:
                raise ApplicationError(
                    "invalid_connection",
                    "The default publishing integration must be an active connection of this business.",
                    extra={"errors": {"default_publishing_connection": ["Not an active connection of this business."]}},
                )
            defaults.default_publishing_connection = chosen
        if default_expense_claims_connection is not _UNSET:
            chosen = active.get(str(default_expense_claims_connection)) if default_expense_claims_connection else None
            if chosen is None:
                raise ApplicationError(
                    "invalid_connection",
                    "The default expense claims integration must be an active connection of this business.",
                    extra={
                        "errors": {"default_expense_claims_connection": ["Not an active connection of this business."]}
                    },
                )
            if not chosen.accepts("expense_claim"):
                raise ApplicationError(
                    "not_for_expense_claims",
                    f"{chosen.name} does not accept expense claims; choose another default expense claims integration.",
                )
            defaults.default_expense_claims_connection = chosen
        after = _defaults_snapshot(defaults)
        if after != before:
            defaults.save()
            audit_record(
                business=business,
                actor=actor,
                action="defaults.changed",
                object_type="publishing_defaults",
                object_id=business.id,
                before=before,
                after=after,
            )
            from publishing.services import items_repoint_defaults

            items_repoint_defaults(business=business, defaults=defaults, actor=actor)
    return defaults
