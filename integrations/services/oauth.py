"""The OAuth side of connecting: the provider's callback, the organisation choice, stale attempts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Business, User
from accounts.permissions import Action, require
from accounts.selectors import business_access_for
from dext_connections.errors import ApplicationError, NotFound
from integrations.models import Connection, OAuthState
from integrations.providers.base import ConnectResult, ProviderError
from integrations.providers.errors import application_error
from integrations.services._common import provider_for, wrong_organisation
from integrations.services.connections import connection_create, connection_renew, oauth_redirect_uri


@dataclass
class OAuthOutcome:
    connection: Connection | None = None
    pending: OAuthState | None = None  # the grant reaches several organisations: ask the user
    organisations: list[dict] = field(default_factory=list)
    reconnected: bool = False


def _token_expiry(token: dict):
    if token.get("expires_at"):
        return datetime.fromtimestamp(int(token["expires_at"]), tz=UTC)
    return None


def _stored_token(token: dict) -> dict:
    keep = ("access_token", "refresh_token", "token_type", "expires_at", "scope", "id_token")
    return {k: token[k] for k in keep if k in token}


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
    provider = provider_for(row.provider)
    if params.get("error"):
        raise ApplicationError("access_denied", f"{provider.name} did not grant access ({params['error']}).")
    if not params.get("code"):
        raise ApplicationError("invalid_callback", f"{provider.name} sent no authorisation code.")
    try:
        token = provider.exchange_code(
            code=params["code"], code_verifier=row.secrets["code_verifier"], redirect_uri=oauth_redirect_uri()
        )
        grant = provider.oauth_complete(token=token, callback_params=params)
    except ProviderError as exc:
        raise application_error(provider, exc) from None
    organisations = grant.organisations
    if row.reconnect_id:
        current = row.reconnect
        match = [o for o in organisations if o["id"] == current.external_tenant_id] or (
            organisations if not current.external_tenant_id else []
        )
        if not match:
            raise wrong_organisation(current)
        result = _oauth_result(token=grant.token, organisation=match[0])
        return OAuthOutcome(
            connection=connection_renew(connection=current, result=result, actor=user), reconnected=True
        )
    if not organisations:
        raise ApplicationError("no_organisation", f"The {provider.name} authorisation reaches no organisation.")
    if len(organisations) > 1:
        row.secrets = {**row.secrets, "token": _stored_token(grant.token), "organisations": organisations}
        row.save(update_fields=["secrets"])
        return OAuthOutcome(pending=row, organisations=organisations)
    connection = connection_create(
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
    provider = provider_for(row.provider)
    return connection_create(
        business=business, provider=provider, result=_oauth_result(token=token, organisation=organisation), actor=user
    )
