"""Every write about items, suppliers and supplier rules."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import Business, User
from dext_connections.errors import ApplicationError, Conflict, NotFound
from integrations.audit import audit_record
from integrations.models import LIVE_STATUSES, Connection, ProviderKind
from integrations.providers import registry
from publishing.models import (
    IN_FLIGHT_STATES,
    OPEN_JOB_STATUSES,
    UNPUBLISHED_STATES,
    Customer,
    IntegrationSource,
    Item,
    ItemHistory,
    ItemKind,
    ItemState,
    PublishJob,
    PublishJobStatus,
    Supplier,
    SupplierRule,
)
from publishing.resolution import items_reresolve

# ---------------------------------------------------------------- hooks used by the connections service


def items_resolve_unpublished(*, business: Business, actor: User | None, reason: str) -> int:
    """After a connection is made: give every unresolved unpublished item an integration."""
    return items_reresolve(business=business, where="i.integration_id IS NULL", actor=actor, reason=reason)


def items_repoint_defaults(*, business: Business, defaults, actor: User | None) -> int:
    """A default changed: re-point the unpublished items whose integration came from a default."""
    return items_reresolve(
        business=business,
        where="i.integration_source IN ('default', 'main')",
        actor=actor,
        reason="Default integration changed",
    )


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
    from publishing.pipeline import items_publish

    ids = list(
        Item.objects.for_business(connection.business_id)
        .filter(integration=connection, state=ItemState.READY, last_publish_error_kind="auth")
        .values_list("id", flat=True)
    )
    if not ids:
        return 0
    result = items_publish(business=connection.business, item_ids=ids, actor=actor, queue="publish_bulk")
    return result.updated


# ---------------------------------------------------------------- suppliers and customers


def _contact_get_or_create(model, *, business: Business, name: str):
    name = " ".join(name.split())
    if not name:
        return None
    existing = model.objects.for_business(business).filter(name__iexact=name).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            return model.objects.create(business=business, name=name[:255])
    except IntegrityError:  # created by a concurrent request
        return model.objects.for_business(business).get(name__iexact=name)


def supplier_get_or_create(*, business: Business, name: str) -> Supplier | None:
    return _contact_get_or_create(Supplier, business=business, name=name)


def customer_get_or_create(*, business: Business, name: str) -> Customer | None:
    return _contact_get_or_create(Customer, business=business, name=name)


def supplier_create(*, business: Business, name: str) -> Supplier:
    name = " ".join((name or "").split())
    if not name:
        raise ApplicationError(
            "invalid", "A supplier needs a name.", extra={"errors": {"name": ["This field is required."]}}
        )
    if Supplier.objects.for_business(business).annotate(lname=Lower("name")).filter(lname=name.lower()).exists():
        raise Conflict("supplier_exists", f"A supplier called {name!r} already exists.")
    return supplier_get_or_create(business=business, name=name)


# ---------------------------------------------------------------- items

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
READY_FIELDS = ("contact", "date", "total", "category")


def item_missing_fields(item: Item) -> list[str]:
    missing = []
    if item.contact is None:
        missing.append("customer" if item.kind == ItemKind.SALES else "supplier")
    for name in ("date", "total", "category"):
        if getattr(item, name) in (None, ""):
            missing.append(name)
    return missing


def _history(item: Item, actor: User | None, field: str, before, after, reason: str = "") -> ItemHistory:
    return ItemHistory(
        business_id=item.business_id,
        item=item,
        actor=actor if actor is not None and actor.is_authenticated else None,
        field=field,
        before="" if before is None else str(before),
        after="" if after is None else str(after),
        reason=reason[:255],
    )


def _apply_supplier_rule(item: Item, rule: SupplierRule | None) -> None:
    """Fill the item's empty coding fields from its supplier's rule."""
    if rule is None:
        return
    for name in ("category", "tax_rate", "payment_method", "description", "publish_as"):
        if not getattr(item, name) and getattr(rule, name):
            setattr(item, name, getattr(rule, name))
    if rule.currency and not item.currency:
        item.currency = rule.currency
    if rule.paid is not None:
        item.paid = rule.paid
    if rule.due_in_days is not None and item.date and not item.due_date:
        item.due_date = item.date + timezone.timedelta(days=rule.due_in_days)


def _refresh_state(item: Item) -> None:
    if item.state in UNPUBLISHED_STATES:
        item.state = ItemState.TO_REVIEW if item_missing_fields(item) else ItemState.READY


def item_create(
    *, business: Business, actor: User | None, kind: str, contact_name: str = "", attachment=None, **fields
) -> Item:
    if kind not in ItemKind.values:
        raise ApplicationError(
            "invalid", "Unknown kind.", extra={"errors": {"kind": [f"Choose one of {', '.join(ItemKind.values)}."]}}
        )
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
                _apply_supplier_rule(item, rule)
        if attachment is not None:
            item.attachment = attachment
        _refresh_state(item)
        item.save()
        _history(item, actor, "created", "", item.get_kind_display()).save()
        items_reresolve(
            business=business, where="i.id = %(item)s", params={"item": item.pk}, actor=actor, reason="New item"
        )
        item.refresh_from_db()
    if rule is not None and rule.auto_publish == "always" and item.state == ItemState.READY:
        from publishing.pipeline import items_publish

        items_publish(business=business, item_ids=[item.pk], actor=actor, queue="publish_bulk", automatic=True)
        item.refresh_from_db()
    return item


def item_get(*, business: Business, item_id) -> Item:
    try:
        item = (
            Item.objects.for_business(business)
            .select_related("supplier", "customer", "integration", "integration_chosen_by")
            .filter(pk=item_id)
            .first()
        )
    except Exception as exc:  # a malformed id is simply not found
        if exc.__class__.__name__ not in ("ValidationError", "ValueError"):
            raise
        item = None
    if item is None:
        raise NotFound("No such item.")
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
                    history.append(_history(item, actor, name, before, contact))
                    setattr(item, name, contact)
                    supplier_changed = supplier_changed or name == "supplier"
            elif name in ITEM_FIELDS:
                before = getattr(item, name)
                if before != value:
                    history.append(_history(item, actor, name, before, value))
                    setattr(item, name, value)
        if supplier_changed and item.supplier is not None:
            _apply_supplier_rule(
                item, SupplierRule.objects.for_business(business).filter(supplier=item.supplier).first()
            )
        before_state = item.state
        _refresh_state(item)
        if item.state != before_state:
            history.append(_history(item, actor, "state", before_state, item.state))
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
    provider = registry.get_or_none(connection.provider)
    if provider is None or not provider.accepts(item.kind):
        raise ApplicationError(
            "kind_not_supported", f"{connection.name} does not take {item.get_kind_display().lower()}s."
        )


def _live_connection(business: Business, connection_id) -> Connection:
    try:
        connection = (
            Connection.objects.for_business(business).filter(pk=connection_id, status__in=LIVE_STATUSES).first()
        )
    except Exception as exc:
        if exc.__class__.__name__ not in ("ValidationError", "ValueError"):
            raise
        connection = None
    if connection is None:
        raise ApplicationError("invalid_connection", "That is not a connection of this business.")
    return connection


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
        connection = _live_connection(business, connection_id)
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


def items_filter_q(*, supplier=None, integration=None, q: str = "") -> Q:
    cond = Q()
    if supplier:
        cond &= Q(supplier_id=supplier)
    if integration:
        cond &= Q(integration_id=integration)
    if q:
        cond &= (
            Q(invoice_number__icontains=q)
            | Q(supplier__name__icontains=q)
            | Q(customer__name__icontains=q)
            | Q(description__icontains=q)
        )
    return cond
