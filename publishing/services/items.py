"""Items: create, edit, choose the integration by hand, archive."""

from __future__ import annotations

from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Business, User
from dext_connections.errors import ApplicationError, Conflict
from integrations.models import LIVE_STATUSES, Connection, ProviderKind
from publishing.models import (
    IN_FLIGHT_STATES,
    UNPUBLISHED_STATES,
    IntegrationSource,
    Item,
    ItemHistory,
    ItemKind,
    ItemState,
    SupplierRule,
)
from publishing.pipeline import items_publish
from publishing.readiness import refresh_state
from publishing.resolution import items_reresolve
from publishing.services._common import history_entry, item_get, live_connection
from publishing.services.attachments import attachment_check
from publishing.services.contacts import customer_get_or_create, supplier_get_or_create
from publishing.services.supplier_rules import apply_supplier_rule

ITEM_FIELDS = (
    "date",
    "due_date",
    "invoice_number",
    "currency",
    "total",
    "tax",
    "category",
    "tax_rate",
    "description",
    "payment_method",
    "paid",
    "publish_as",
)


def item_create(
    *, business: Business, actor: User | None, kind: str, contact_name: str = "", attachment=None, **fields
) -> Item:
    if kind not in ItemKind.values:
        raise ApplicationError(
            "invalid", "Unknown kind.", extra={"errors": {"kind": [f"Choose one of {', '.join(ItemKind.values)}."]}}
        )
    if attachment is not None:
        attachment_check(attachment)
    with transaction.atomic():
        item = Item(business=business, kind=kind, created_by=actor if actor and actor.is_authenticated else None)
        for name, value in fields.items():
            if name in ITEM_FIELDS and value is not None:
                setattr(item, name, value)
        rule = None
        if kind == ItemKind.SALES:
            item.customer = customer_get_or_create(business=business, name=contact_name or "")
        else:
            item.supplier = supplier_get_or_create(business=business, name=contact_name or "")
            if item.supplier is not None:
                rule = SupplierRule.objects.for_business(business).filter(supplier=item.supplier).first()
                if rule is not None and rule.currency and not fields.get("currency"):
                    item.currency = rule.currency  # the model's default currency must not hide the rule's
                apply_supplier_rule(item, rule)
        if attachment is not None:
            item.attachment = attachment
        refresh_state(item)
        item.save()
        history_entry(item, actor, "created", "", item.get_kind_display()).save()
        items_reresolve(
            business=business, where="i.id = %(item)s", params={"item": item.pk}, actor=actor, reason="New item"
        )
        item.refresh_from_db()
    if rule is not None and rule.auto_publish == "always" and item.state == ItemState.READY:
        items_publish(business=business, item_ids=[item.pk], actor=actor, queue="publish_bulk", automatic=True)
        item.refresh_from_db()
    return item


def item_update(*, business: Business, actor: User | None, item_id, changes: dict) -> Item:
    """Edit an item's fields (not its integration: see :func:`item_set_integration`)."""
    with transaction.atomic():
        item = item_get(business=business, item_id=item_id)
        item = Item.objects.for_business(business).select_for_update().get(pk=item.pk)
        if item.state in IN_FLIGHT_STATES:
            raise Conflict("item_in_flight", "This item is being published; wait until it finishes to edit it.")
        history = []
        supplier_changed = False
        for name, value in changes.items():
            if name in ("supplier", "customer"):
                contact = (
                    customer_get_or_create(business=business, name=value or "")
                    if name == "customer"
                    else supplier_get_or_create(business=business, name=value or "")
                )
                before = getattr(item, name)
                if (before and before.pk) != (contact and contact.pk):
                    history.append(history_entry(item, actor, name, before, contact))
                    setattr(item, name, contact)
                    supplier_changed = supplier_changed or name == "supplier"
            elif name in ITEM_FIELDS:
                before = getattr(item, name)
                if before != value:
                    history.append(history_entry(item, actor, name, before, value))
                    setattr(item, name, value)
        if supplier_changed and item.supplier is not None:
            apply_supplier_rule(
                item, SupplierRule.objects.for_business(business).filter(supplier=item.supplier).first()
            )
        before_state = item.state
        refresh_state(item)
        if item.state != before_state:
            history.append(history_entry(item, actor, "state", before_state, item.state))
        item.save()
        ItemHistory.objects.bulk_create(history)
        if supplier_changed:
            items_reresolve(
                business=business,
                where="i.id = %(item)s",
                params={"item": item.pk},
                actor=actor,
                reason="Supplier changed",
            )
            item.refresh_from_db()
    return item


def _check_integration_for(item: Item, connection: Connection, main: Connection | None) -> None:
    if item.kind == ItemKind.SALES and (main is None or connection.pk != main.pk):
        raise ApplicationError(
            "sales_main_only",
            f"Sales always go to the main accounting software{f' ({main.name})' if main else ''}.",
        )
    if not connection.accepts(item.kind):
        raise ApplicationError(
            "kind_not_supported", f"{connection.name} does not take {item.get_kind_display().lower()}s."
        )


def item_set_integration(*, business: Business, actor: User, item_id, connection_id) -> Item:
    """A hand-made choice (``manual``), or ``None`` to drop it and resolve again."""
    with transaction.atomic():
        item = item_get(business=business, item_id=item_id)
        item = Item.objects.for_business(business).select_for_update().get(pk=item.pk)
        if item.state not in UNPUBLISHED_STATES:
            raise Conflict(
                "item_not_editable", f"A {item.get_state_display().lower()} item's integration cannot change."
            )
        if connection_id is None:
            item.integration_source = None
            item.save(update_fields=["integration_source", "updated_at"])
            items_reresolve(
                business=business,
                where="i.id = %(item)s",
                params={"item": item.pk},
                actor=actor,
                reason="Choice removed",
            )
            item.refresh_from_db()
            return item
        connection = live_connection(business, connection_id)
        main = (
            Connection.objects.for_business(business).filter(status__in=LIVE_STATUSES, kind=ProviderKind.MAIN).first()
        )
        _check_integration_for(item, connection, main)
        if item.kind == ItemKind.SALES:
            return item  # already on the main connection, which is the only choice
        before = item.integration_id
        item.integration = connection
        item.integration_source = IntegrationSource.MANUAL
        item.integration_chosen_by = actor
        item.save(update_fields=["integration", "integration_source", "integration_chosen_by", "updated_at"])
        ItemHistory.objects.create(
            business_id=business.pk,
            item=item,
            actor=actor,
            field="integration",
            before=str(before or ""),
            after=str(connection.pk),
            reason="Chosen by hand",
        )
        audit_record(
            business=business,
            actor=actor,
            action="item.integration_changed",
            object_type="item",
            object_id=item.pk,
            before={"integration": str(before) if before else None},
            after={"integration": str(connection.pk)},
        )
    return item


def item_archive(*, business: Business, actor: User | None, item_id) -> Item:
    with transaction.atomic():
        item = item_get(business=business, item_id=item_id)
        item = Item.objects.for_business(business).select_for_update().get(pk=item.pk)
        if item.state in IN_FLIGHT_STATES:
            raise Conflict("item_in_flight", "This item is being published and cannot be archived now.")
        if item.state != ItemState.ARCHIVED:
            ItemHistory.objects.create(
                business_id=business.pk,
                item=item,
                actor=actor,
                field="state",
                before=item.state,
                after=ItemState.ARCHIVED,
            )
            item.state = ItemState.ARCHIVED
            item.save(update_fields=["state", "updated_at"])
    return item
