"""Every write about items, suppliers and supplier rules."""

from __future__ import annotations

import json
import uuid

from django.db import IntegrityError, transaction
from django.db import connection as db_connection
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import Business, User
from dext_connections.errors import ApplicationError, Conflict, NotFound
from integrations.audit import audit_record
from integrations.models import LIVE_STATUSES, Connection, ProviderKind
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
from publishing.pipeline import BulkResult
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
    item = (
        Item.objects.for_business(business)
        .select_related("supplier", "customer", "integration", "integration_chosen_by")
        .by_id(item_id)
    )
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
    if not connection.accepts(item.kind):
        raise ApplicationError(
            "kind_not_supported", f"{connection.name} does not take {item.get_kind_display().lower()}s."
        )


def _live_connection(business: Business, connection_id) -> Connection:
    connection = Connection.objects.for_business(business).filter(status__in=LIVE_STATUSES).by_id(connection_id)
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


# ---------------------------------------------------------------- attachments

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
}


def attachment_sniff(head: bytes) -> str | None:
    """The content type of a file from its first bytes (never from its name or the browser's word)."""
    if head.startswith(b"%PDF-"):  # a PDF starts with its header; "%PDF-" further in is some other file
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _attachment_refused(message: str) -> ApplicationError:
    return ApplicationError("invalid", message, extra={"errors": {"attachment": [message]}})


def attachment_check(file) -> str:
    """Size (≤ 10 MB) and type (PDF, PNG, JPEG, GIF, WebP by content) of an upload; its content type."""
    size = getattr(file, "size", None)
    if not size:
        raise _attachment_refused("The file is empty.")
    if size > MAX_ATTACHMENT_BYTES:
        raise _attachment_refused(f"The file is {size / 1024 / 1024:.1f} MB; attachments can be at most 10 MB.")
    file.seek(0)
    head = file.read(1024)
    file.seek(0)
    content_type = attachment_sniff(head)
    if content_type is None:
        raise _attachment_refused(
            "Only PDF, PNG, JPEG, GIF and WebP files can be attached; this file is none of those."
        )
    # Store it under a name whose extension matches what the file really is.
    stem = (getattr(file, "name", "") or "attachment").rsplit("/", 1)[-1].rsplit(".", 1)[0][:80] or "attachment"
    file.name = f"{stem}.{ATTACHMENT_TYPES[content_type]}"
    return content_type


def item_attachment_set(*, business: Business, actor: User | None, item_id, file) -> Item:
    attachment_check(file)
    with transaction.atomic():
        item = item_get(business=business, item_id=item_id)
        item = Item.objects.for_business(business).select_for_update().get(pk=item.pk)
        if item.state in IN_FLIGHT_STATES:
            raise Conflict("item_in_flight", "This item is being published; wait until it finishes to edit it.")
        before = item.attachment.name if item.attachment else ""
        item.attachment = file
        item.save(update_fields=["attachment", "updated_at"])
        _history(item, actor, "attachment", before.rsplit("/", 1)[-1], item.attachment.name.rsplit("/", 1)[-1]).save()
    return item


# ---------------------------------------------------------------- supplier rules

RULE_FIELDS = (
    "category",
    "tax_rate",
    "payment_method",
    "paid",
    "due_in_days",
    "description",
    "currency",
    "auto_publish",
    "publish_as",
)


def _rule_snapshot(rule: SupplierRule) -> dict:
    return {
        "supplier": rule.supplier.name if rule.supplier_id else None,
        "integration": str(rule.integration_id) if rule.integration_id else None,
        **{name: getattr(rule, name) for name in RULE_FIELDS},
    }


def supplier_rule_get(*, business: Business, rule_id) -> SupplierRule:
    rule = SupplierRule.objects.for_business(business).select_related("supplier", "integration").by_id(rule_id)
    if rule is None:
        raise NotFound("No such supplier rule.")
    return rule


def _rule_supplier(business: Business, supplier_id) -> Supplier:
    supplier = Supplier.objects.for_business(business).by_id(supplier_id)
    if supplier is None:
        raise ApplicationError(
            "invalid",
            "That supplier does not exist in this business.",
            extra={"errors": {"supplier": ["No such supplier in this business."]}},
        )
    return supplier


def _rule_integration(business: Business, connection_id) -> Connection | None:
    """A supplier rule may send costs to a live connection of the business that takes costs."""
    if connection_id in (None, ""):
        return None
    connection = _live_connection(business, connection_id)
    if not connection.accepts(ItemKind.COST):
        raise ApplicationError(
            "kind_not_supported", f"{connection.name} does not take costs, so a supplier rule cannot send them there."
        )
    return connection


def _rule_exists(supplier: Supplier) -> Conflict:
    return Conflict("rule_exists", f"{supplier.name} already has a supplier rule; edit that one instead.")


_APPLY_RULE_SQL = """
WITH target AS (
    SELECT i.id, i.category, i.tax_rate, i.payment_method, i.description, i.currency, i.publish_as,
           i.paid, i.due_date, i.state
    FROM publishing_item i
    WHERE i.business_id = %(business)s AND i.supplier_id = %(supplier)s
      AND i.state IN ('to_review', 'ready')
      AND i.integration_source IS DISTINCT FROM 'manual'
    FOR UPDATE OF i
), changed AS (
    UPDATE publishing_item i SET
        category = COALESCE(NULLIF(%(category)s, ''), i.category),
        tax_rate = COALESCE(NULLIF(%(tax_rate)s, ''), i.tax_rate),
        payment_method = COALESCE(NULLIF(%(payment_method)s, ''), i.payment_method),
        description = COALESCE(NULLIF(%(description)s, ''), i.description),
        currency = COALESCE(NULLIF(%(currency)s, ''), i.currency),
        publish_as = COALESCE(NULLIF(%(publish_as)s, ''), i.publish_as),
        paid = COALESCE(%(paid)s::boolean, i.paid),
        due_date = CASE WHEN %(due_in_days)s::int IS NOT NULL AND i.date IS NOT NULL
                        THEN i.date + %(due_in_days)s::int ELSE i.due_date END,
        state = CASE WHEN i.date IS NULL OR i.total IS NULL
                       OR COALESCE(NULLIF(%(category)s, ''), i.category) = '' THEN 'to_review'
                     ELSE 'ready' END,
        updated_at = now()
    FROM target t
    WHERE i.id = t.id
    RETURNING i.id,
        t.category AS b_category, i.category AS a_category,
        t.tax_rate AS b_tax_rate, i.tax_rate AS a_tax_rate,
        t.payment_method AS b_payment_method, i.payment_method AS a_payment_method,
        t.description AS b_description, i.description AS a_description,
        t.currency AS b_currency, i.currency AS a_currency,
        t.publish_as AS b_publish_as, i.publish_as AS a_publish_as,
        t.paid AS b_paid, i.paid AS a_paid,
        t.due_date AS b_due_date, i.due_date AS a_due_date,
        t.state AS b_state, i.state AS a_state
), logged AS (
    INSERT INTO publishing_itemhistory (business_id, item_id, at, actor_id, field, before, after, reason)
    SELECT %(business)s, c.id, now(), %(actor)s, v.field, COALESCE(v.before, ''), COALESCE(v.after, ''), %(reason)s
    FROM changed c CROSS JOIN LATERAL (VALUES
        ('category', c.b_category, c.a_category),
        ('tax_rate', c.b_tax_rate, c.a_tax_rate),
        ('payment_method', c.b_payment_method, c.a_payment_method),
        ('description', c.b_description, c.a_description),
        ('currency', c.b_currency, c.a_currency),
        ('publish_as', c.b_publish_as, c.a_publish_as),
        ('paid', CASE WHEN c.b_paid THEN 'True' ELSE 'False' END, CASE WHEN c.a_paid THEN 'True' ELSE 'False' END),
        ('due_date', c.b_due_date::text, c.a_due_date::text),
        ('state', c.b_state, c.a_state)
    ) AS v(field, before, after)
    WHERE v.before IS DISTINCT FROM v.after
)
SELECT count(*) FROM changed
"""


def supplier_rule_apply_to_inbox(*, business: Business, rule: SupplierRule, actor: User | None) -> int:
    """Apply a rule to its supplier's unpublished items (not those whose integration was chosen by hand).

    Set-based: one statement writes the coding fields, the states and their history, and
    :func:`items_reresolve` re-points the integrations. Returns how many items the rule reached.
    """
    reason = f"Supplier rule {rule.supplier.name} applied"
    values = {name: getattr(rule, name) for name in RULE_FIELDS if name != "auto_publish"}
    values.update(
        business=business.pk,
        supplier=rule.supplier_id,
        actor=actor.pk if actor is not None and actor.is_authenticated else None,
        reason=reason[:255],
    )
    with transaction.atomic(), db_connection.cursor() as cursor:
        cursor.execute(_APPLY_RULE_SQL, values)
        reached = cursor.fetchone()[0]
        items_reresolve(
            business=business,
            where="i.supplier_id = %(s)s AND i.integration_source IS DISTINCT FROM 'manual'",
            params={"s": rule.supplier_id},
            actor=actor,
            reason=reason,
        )
    return reached


def supplier_rule_create(
    *,
    business: Business,
    actor: User | None,
    supplier_id,
    integration_id=None,
    apply_to_inbox: bool = False,
    **fields,
) -> SupplierRule:
    with transaction.atomic():
        supplier = _rule_supplier(business, supplier_id)
        integration = _rule_integration(business, integration_id)
        if SupplierRule.objects.for_business(business).filter(supplier=supplier).exists():
            raise _rule_exists(supplier)
        rule = SupplierRule(business=business, supplier=supplier, integration=integration)
        for name, value in fields.items():
            if name in RULE_FIELDS:
                setattr(rule, name, _rule_value(name, value))
        try:
            with transaction.atomic():
                rule.save()
        except IntegrityError:  # a concurrent request made the supplier's rule first
            raise _rule_exists(supplier) from None
        audit_record(
            business=business,
            actor=actor,
            action="supplier_rule.created",
            object_type="supplier_rule",
            object_id=rule.pk,
            after=_rule_snapshot(rule),
        )
        if apply_to_inbox:
            supplier_rule_apply_to_inbox(business=business, rule=rule, actor=actor)
    return rule


def _rule_value(name: str, value):
    if name in ("paid", "due_in_days", "auto_publish"):
        return None if value == "" else value
    return "" if value is None else value


def supplier_rule_update(
    *, business: Business, actor: User | None, rule_id, changes: dict, apply_to_inbox: bool = False
) -> SupplierRule:
    """Change some fields of a rule: ``changes`` may hold ``supplier`` (an id), ``integration`` and RULE_FIELDS."""
    with transaction.atomic():
        rule = supplier_rule_get(business=business, rule_id=rule_id)
        rule = (
            SupplierRule.objects.for_business(business).select_for_update().select_related("supplier").get(pk=rule.pk)
        )
        before = _rule_snapshot(rule)
        if "supplier" in changes:
            supplier = _rule_supplier(business, changes["supplier"])
            if supplier.pk != rule.supplier_id:
                if SupplierRule.objects.for_business(business).filter(supplier=supplier).exists():
                    raise _rule_exists(supplier)
                rule.supplier = supplier
        if "integration" in changes:
            rule.integration = _rule_integration(business, changes["integration"])
        for name, value in changes.items():
            if name in RULE_FIELDS:
                setattr(rule, name, _rule_value(name, value))
        try:
            with transaction.atomic():
                rule.save()
        except IntegrityError:
            raise _rule_exists(rule.supplier) from None
        after = _rule_snapshot(rule)
        if after != before:
            audit_record(
                business=business,
                actor=actor,
                action="supplier_rule.updated",
                object_type="supplier_rule",
                object_id=rule.pk,
                before=before,
                after=after,
            )
        if apply_to_inbox:
            supplier_rule_apply_to_inbox(business=business, rule=rule, actor=actor)
    return rule


def supplier_rule_delete(*, business: Business, actor: User | None, rule_id) -> None:
    with transaction.atomic():
        rule = supplier_rule_get(business=business, rule_id=rule_id)
        audit_record(
            business=business,
            actor=actor,
            action="supplier_rule.deleted",
            object_type="supplier_rule",
            object_id=rule.pk,
            before=_rule_snapshot(rule),
        )
        SupplierRule.objects.for_business(business).filter(pk=rule.pk).delete()


# ---------------------------------------------------------------- bulk actions

BULK_ACTIONS = ("publish", "set_integration", "archive")
MAX_BULK_IDS = 10_000


def _bulk_ids(raw_ids, result: BulkResult) -> list[uuid.UUID]:
    """Parse and de-duplicate ids; a malformed one is refused as ``not_found`` like any unknown id."""
    ids, seen = [], set()
    for raw in raw_ids:
        try:
            item_id = uuid.UUID(str(raw))
        except ValueError:
            result.refuse(raw, "not_found", "No such item.")
            continue
        if item_id not in seen:
            seen.add(item_id)
            ids.append(item_id)
    return ids


def _bulk_rows(business: Business, ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, str]]:
    """Lock the business's items among ``ids``: {id: (kind, state)}. Other tenants' rows are never read."""
    with db_connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, kind, state FROM publishing_item WHERE business_id = %s AND id = ANY(%s::uuid[]) "
            "ORDER BY id FOR UPDATE",
            [business.pk, ids],
        )
        return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}


_BULK_INTEGRATION_SQL = """
WITH target AS (
    SELECT i.id, i.integration_id AS before_id FROM publishing_item i
    WHERE i.business_id = %(business)s AND i.id = ANY(%(ids)s::uuid[])
      AND i.state IN ('to_review', 'ready') AND i.kind = ANY(%(kinds)s)
    ORDER BY i.id
    FOR UPDATE
), changed AS (
    UPDATE publishing_item i
    SET integration_id = %(connection)s, integration_source = 'manual',
        integration_chosen_by_id = %(actor)s, updated_at = now()
    FROM target t
    WHERE i.id = t.id
    RETURNING i.id, t.before_id
), logged AS (
    INSERT INTO publishing_itemhistory (business_id, item_id, at, actor_id, field, before, after, reason)
    SELECT %(business)s, c.id, now(), %(actor)s, 'integration', COALESCE(c.before_id::text, ''),
           %(connection)s::text, %(reason)s
    FROM changed c WHERE c.before_id IS DISTINCT FROM %(connection)s::uuid
)
SELECT count(*), COALESCE(
    (SELECT jsonb_object_agg(k, n) FROM (
        SELECT COALESCE(before_id::text, 'none') AS k, count(*) AS n FROM changed GROUP BY 1) s),
    '{}'::jsonb)
FROM changed
"""

# After the UPDATE, in the same transaction: the requested items it did not take, and why.
_BULK_INTEGRATION_LEFT_SQL = """
SELECT id, kind, state FROM publishing_item
WHERE business_id = %(business)s AND id = ANY(%(ids)s::uuid[])
  AND NOT (state IN ('to_review', 'ready') AND kind = ANY(%(kinds)s))
"""


def items_set_integration_bulk(*, business: Business, actor: User | None, item_ids, connection_id) -> BulkResult:
    """A hand-made choice for many items at once, set-based: one UPDATE, one INSERT…SELECT, one audit row.

    The allowed items (unpublished, of a kind the connection takes, not sales) are locked in id order
    and changed by one statement that also writes their history; one more query finds the others and
    why they were refused: sales to anything but the main connection (``sales_main_only``; sales to the
    main connection are already there), a kind the connection does not take (``kind_not_supported``),
    items queued, published or archived (``item_not_editable``) and unknown ids (``not_found``).
    """
    result = BulkResult()
    ids = _bulk_ids(item_ids, result)
    connection = _live_connection(business, connection_id)
    main = Connection.objects.for_business(business).filter(status__in=LIVE_STATUSES, kind=ProviderKind.MAIN).first()
    kinds = [k for k in (ItemKind.COST, ItemKind.EXPENSE_CLAIM) if connection.accepts(k)]
    params = {
        "business": business.pk,
        "ids": ids,
        "kinds": kinds,
        "connection": connection.pk,
        "actor": actor.pk if actor is not None and actor.is_authenticated else None,
        "reason": "Chosen by hand (bulk change)",
    }
    with transaction.atomic(), db_connection.cursor() as cursor:
        cursor.execute(_BULK_INTEGRATION_SQL, params)
        changed, before = cursor.fetchone()
        left = {}
        if changed < len(ids):  # only when something was not taken: which items, and why
            cursor.execute(_BULK_INTEGRATION_LEFT_SQL, params)
            left = {row[0]: (row[1], row[2]) for row in cursor.fetchall()}
        result.updated = changed
        for item_id in ids:
            if item_id not in left:
                continue  # changed above, or not found (below)
            kind, state = left[item_id]
            if state not in UNPUBLISHED_STATES:
                label = ItemState(state).label.lower()
                result.refuse(item_id, "item_not_editable", f"A {label} item's integration cannot change.")
            elif kind == ItemKind.SALES and main is not None and main.pk == connection.pk:
                result.updated += 1  # already there: sales always go to the main connection
            elif kind == ItemKind.SALES:
                result.refuse(
                    item_id,
                    "sales_main_only",
                    f"Sales always go to the main accounting software{f' ({main.name})' if main else ''}.",
                )
            else:
                result.refuse(
                    item_id, "kind_not_supported", f"{connection.name} does not take {ItemKind(kind).label.lower()}s."
                )
        if changed + len(left) < len(ids):  # some ids are not this business's items
            cursor.execute(
                "SELECT id FROM publishing_item WHERE business_id = %s AND id = ANY(%s::uuid[])", [business.pk, ids]
            )
            known = {row[0] for row in cursor.fetchall()}
            for item_id in ids:
                if item_id not in known:
                    result.refuse(item_id, "not_found", "No such item.")
        if changed:
            if isinstance(before, str):  # Django leaves jsonb undecoded on a raw cursor
                before = json.loads(before)
            audit_record(
                business=business,
                actor=actor,
                action="items.integration_changed_in_bulk",
                object_type="item",
                object_id=f"bulk:{changed}",
                before={"integrations": before},
                after={"integration": str(connection.pk), "items": changed},
            )
    return result


_BULK_ARCHIVE_SQL = """
WITH changed AS (
    UPDATE publishing_item i SET state = 'archived', updated_at = now()
    FROM (SELECT id, state FROM publishing_item
          WHERE business_id = %(business)s AND id = ANY(%(ids)s::uuid[])) t
    WHERE i.id = t.id
    RETURNING i.id, t.state AS before
), logged AS (
    INSERT INTO publishing_itemhistory (business_id, item_id, at, actor_id, field, before, after, reason)
    SELECT %(business)s, c.id, now(), %(actor)s, 'state', c.before, 'archived', 'Archived (bulk)'
    FROM changed c
)
SELECT count(*) FROM changed
"""


def items_archive_bulk(*, business: Business, actor: User | None, item_ids) -> BulkResult:
    result = BulkResult()
    ids = _bulk_ids(item_ids, result)
    allowed = []
    with transaction.atomic():
        rows = _bulk_rows(business, ids)
        for item_id in ids:
            row = rows.get(item_id)
            if row is None:
                result.refuse(item_id, "not_found", "No such item.")
            elif row[1] in IN_FLIGHT_STATES:
                result.refuse(item_id, "item_in_flight", "This item is being published and cannot be archived now.")
            elif row[1] == ItemState.ARCHIVED:
                result.updated += 1  # already archived
            else:
                allowed.append(item_id)
        if allowed:
            with db_connection.cursor() as cursor:
                cursor.execute(
                    _BULK_ARCHIVE_SQL,
                    {
                        "business": business.pk,
                        "ids": allowed,
                        "actor": actor.pk if actor is not None and actor.is_authenticated else None,
                    },
                )
                result.updated += cursor.fetchone()[0]
    return result


def items_bulk(*, business: Business, actor: User | None, item_ids, action: str, connection_id=None) -> BulkResult:
    """``POST items/bulk/``: one item's refusal never stops the others."""
    if action not in BULK_ACTIONS:
        raise ApplicationError(
            "invalid", "Unknown action.", extra={"errors": {"action": [f"Choose one of {', '.join(BULK_ACTIONS)}."]}}
        )
    if len(item_ids) > MAX_BULK_IDS:
        raise ApplicationError(
            "invalid",
            f"At most {MAX_BULK_IDS:,} items at once.",
            extra={"errors": {"ids": [f"At most {MAX_BULK_IDS} ids."]}},
        )
    if action == "set_integration":
        if not connection_id:
            raise ApplicationError(
                "invalid", "Choose the integration.", extra={"errors": {"integration": ["This field is required."]}}
            )
        return items_set_integration_bulk(
            business=business, actor=actor, item_ids=item_ids, connection_id=connection_id
        )
    if action == "archive":
        return items_archive_bulk(business=business, actor=actor, item_ids=item_ids)
    from publishing.pipeline import items_publish

    result = BulkResult()
    ids = _bulk_ids(item_ids, result)
    published = items_publish(business=business, item_ids=ids, actor=actor, queue="publish_bulk")
    published.errors = result.errors + published.errors
    return published
