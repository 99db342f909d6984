"""Disconnecting (R3, R6): what it would change, doing it, and revoking the grant at the provider."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Business, User
from dext_connections.errors import Conflict
from integrations import events
from integrations.models import Connection, ConnectionStatus, ProviderKind, PublishingDefaults
from integrations.providers import registry
from integrations.selectors import connections_live
from integrations.services._common import connection_get_live, connection_snapshot, lock_business
from integrations.services.defaults import defaults_snapshot, publishing_defaults_get

log = logging.getLogger(__name__)


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
    connection = connection_get_live(business=business, connection_id=connection_id)
    defaults = publishing_defaults_get(business=business)
    moved = sum(
        1
        for c in (defaults.default_publishing_connection_id, defaults.default_expense_claims_connection_id)
        if c == connection.id
    )
    effects = DisconnectEffects(defaults_moved=moved if connection.kind == ProviderKind.ADDITIONAL else 0)
    counts = events.disconnect_preview(connection=connection)
    effects.items_reassigned = counts.items
    effects.supplier_rules_cleared = counts.rules
    effects.jobs_cancelled = counts.jobs
    preview = effects.as_dict()
    blocking = _additional_blocking(business=business, connection=connection)
    preview["blocked_by"] = [{"id": str(c.id), "name": c.name} for c in blocking]
    return preview


def connection_disconnect(*, business: Business, connection_id, actor: User) -> DisconnectEffects:
    """R3 and R6: refuse the main while an additional is active; otherwise disconnect and tidy up."""
    with transaction.atomic():
        business = lock_business(business)
        connection = connection_get_live(business=business, connection_id=connection_id)
        _refuse_if_additional_active(_additional_blocking(business=business, connection=connection), connection)
        before = connection_snapshot(connection)
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
            defaults_before = defaults_snapshot(defaults)
            for attr in ("default_publishing_connection_id", "default_expense_claims_connection_id"):
                if getattr(defaults, attr) == connection.id:
                    replacement = main
                    if attr == "default_expense_claims_connection_id" and main and not main.accepts("expense_claim"):
                        replacement = None
                    setattr(defaults, attr, replacement.id if replacement else None)
                    effects.defaults_moved += 1 if replacement else 0
            if defaults_snapshot(defaults) != defaults_before:
                defaults.save()
                audit_record(
                    business=business,
                    actor=actor,
                    action="defaults.moved_on_disconnect",
                    object_type="publishing_defaults",
                    object_id=business.id,
                    before=defaults_before,
                    after=defaults_snapshot(defaults),
                )
        counts = events.disconnected(connection=connection, actor=actor)
        effects.items_reassigned = counts.items
        effects.supplier_rules_cleared = counts.rules
        effects.jobs_cancelled = counts.jobs
        audit_record(
            business=business,
            actor=actor,
            action="connection.disconnected",
            object_type="connection",
            object_id=connection.id,
            before=before,
            after={**connection_snapshot(connection), **effects.as_dict()},
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
