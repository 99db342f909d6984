"""Supplier rules: their writes (audited), and applying a rule to an item (Python) or to the inbox (SQL)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db import connection as db_connection
from django.utils import timezone

from accounts.audit import audit_record
from accounts.models import Business, User
from dext_connections.errors import ApplicationError, Conflict, NotFound
from integrations.models import Connection
from publishing.models import Item, ItemKind, Supplier, SupplierRule
from publishing.resolution import items_reresolve
from publishing.services._common import live_connection


def apply_supplier_rule(item: Item, rule: SupplierRule | None) -> None:
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
    connection = live_connection(business, connection_id)
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
