"""The business's publishing defaults (R4)."""

from __future__ import annotations

from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Business, User
from dext_connections.errors import ApplicationError
from integrations import events
from integrations.models import ConnectionStatus, PublishingDefaults
from integrations.selectors import connections_live
from integrations.services._common import lock_business


def defaults_snapshot(defaults: PublishingDefaults) -> dict:
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
        business = lock_business(business)
        active = {str(c.id): c for c in connections_live(business=business).filter(status=ConnectionStatus.ACTIVE)}
        defaults, _ = (
            PublishingDefaults.objects.for_business(business).select_for_update().get_or_create(business=business)
        )
        before = defaults_snapshot(defaults)
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
        after = defaults_snapshot(defaults)
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
            events.defaults_changed(business=business, defaults=defaults, actor=actor)
    return defaults
