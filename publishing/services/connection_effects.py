"""What a connection event does to items, supplier rules and publish jobs: publishing's connection listener.

Integrations announces its events through :mod:`integrations.events` (it never imports publishing);
:class:`PublishingConnectionListener` is registered in ``PublishingConfig.ready()``.
"""

from __future__ import annotations

from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Business, User
from integrations import events
from integrations.models import Connection
from publishing.coding import coding_context, items_recode
from publishing.models import (
    IN_FLIGHT_STATES,
    OPEN_JOB_STATUSES,
    UNPUBLISHED_STATES,
    Item,
    ItemState,
    PublishJob,
    PublishJobStatus,
    SupplierRule,
)
from publishing.pipeline import items_publish
from publishing.resolution import items_reresolve
from publishing.services.defaults import items_repoint_defaults


def items_resolve_unpublished(*, business: Business, actor: User | None, reason: str) -> int:
    """After a connection is made: give every unresolved unpublished item an integration."""
    return items_reresolve(business=business, where="i.integration_id IS NULL", actor=actor, reason=reason)


def disconnect_item_effects(*, connection: Connection, apply: bool, actor: User | None = None) -> dict:
    """R6 for items, supplier rules and jobs of a connection being disconnected; counts, optionally applied."""
    business = connection.business
    items = Item.objects.for_business(business).filter(integration=connection)
    unpublished = items.filter(state__in=UNPUBLISHED_STATES)
    jobs = PublishJob.objects.for_business(business).filter(connection=connection, status__in=OPEN_JOB_STATUSES)
    rules = SupplierRule.objects.for_business(business).filter(integration=connection)
    if not apply:
        return {"items": unpublished.count() + jobs.count(), "rules": rules.count(), "jobs": jobs.count()}

    now = timezone.now()
    message = (
        f"{connection.name} was disconnected before this item was published. Check its integration and publish again."
    )
    job_items = list(jobs.values_list("item_id", flat=True))
    cancelled = jobs.update(status=PublishJobStatus.CANCELLED, last_error=message, finished_at=now, updated_at=now)
    if job_items:
        Item.objects.for_business(business).filter(pk__in=job_items, state__in=IN_FLIGHT_STATES).update(
            state=ItemState.READY,
            last_publish_error=message,
            last_publish_error_at=now,
            last_publish_error_kind="disconnected",
            updated_at=now,
        )
    cleared_rules = list(rules.select_related("supplier"))
    for rule in cleared_rules:
        audit_record(
            business=business,
            actor=actor,
            action="supplier_rule.integration_cleared",
            object_type="supplier_rule",
            object_id=rule.id,
            before={"integration": str(connection.id), "supplier": rule.supplier.name},
            after={"integration": None, "reason": f"{connection.name} disconnected"},
        )
    rules.update(integration=None, updated_at=now)
    changed = items_reresolve(
        business=business,
        where="i.integration_id = %(gone)s",
        params={"gone": connection.pk},
        actor=actor,
        reason=f"{connection.name} disconnected",
    )
    return {"items": changed, "rules": len(cleared_rules), "jobs": cancelled}


def items_requeue_after_reconnect(*, connection: Connection, actor: User | None) -> int:
    """R5: items that failed because the connection had expired are queued again once it is back."""
    ids = list(
        Item.objects.for_business(connection.business_id)
        .filter(integration=connection, state=ItemState.READY, last_publish_error_kind="auth")
        .values_list("id", flat=True)
    )
    if not ids:
        return 0
    result = items_publish(business=connection.business, item_ids=ids, actor=actor, queue="publish_bulk")
    return result.updated


def items_recode_after_sync(*, connection: Connection) -> int:
    """A connection's lists were synced: the unpublished items coded against them are coded and judged again (a
    category that now matches, an entry archived in the ledger)."""
    context = coding_context(connection.business)
    coded = [conn for conn, coder in context.coding_of.items() if coder == connection.pk]
    if not coded:
        return 0
    return items_recode(
        business=connection.business,
        where="i.integration_id = ANY(%(coded)s::uuid[])",
        params={"coded": coded},
        reason=f"{connection.name}'s lists synced",
        context=context,
    )


class PublishingConnectionListener(events.NoOpListener):
    """Publishing's answer to each connection event, in the connections service's transaction (see
    :mod:`integrations.events`)."""

    def on_connected(self, *, connection: Connection, actor: User | None) -> None:
        items_resolve_unpublished(business=connection.business, actor=actor, reason=f"{connection.name} connected")

    def on_reconnected(self, *, connection: Connection, actor: User | None) -> None:
        items_requeue_after_reconnect(connection=connection, actor=actor)

    def on_disconnect_preview(self, *, connection: Connection) -> events.DisconnectCounts:
        return events.DisconnectCounts(**disconnect_item_effects(connection=connection, apply=False))

    def on_disconnected(self, *, connection: Connection, actor: User | None) -> events.DisconnectCounts:
        return events.DisconnectCounts(**disconnect_item_effects(connection=connection, apply=True, actor=actor))

    def on_defaults_changed(self, *, business: Business, defaults, actor: User | None) -> None:
        items_repoint_defaults(business=business, defaults=defaults, actor=actor)

    def on_lists_synced(self, *, connection: Connection) -> None:
        items_recode_after_sync(connection=connection)
