"""Applying supplier rules to items (DESIGN.md §5), decided once: one statement built from the field
specification, for one item (it just got its supplier) or for a supplier's whole inbox (asked for on the rule).

The mode (fields.RuleMode) says which wins when the item already says something: ``FILL`` (an item that just got
its supplier) takes the rule's value only where the item has none; ``OVERWRITE`` (the rule's page asked to apply it
to the inbox) takes every value the rule sets. In both modes a rule's "paid" wins, and its due-in-days sets the
due date from the item's date (``FILL``: only where the item has no due date). The coding a rule carries is an
entry of its own integration's lists; :func:`publishing.coding.items_recode`, which runs after, carries it onto
the item's ledger.
"""

from __future__ import annotations

from django.db import connection as db

from accounts.models import Business, User
from publishing import fields as spec
from publishing.coding import UNPUBLISHED
from publishing.fields import RuleMode


def _takes(rule_has: str, item_has: str, mode: RuleMode) -> str:
    return rule_has if mode is RuleMode.OVERWRITE else f"({rule_has} AND NOT {item_has})"


def _assignments(mode: RuleMode) -> list[tuple[str, str]]:
    """(column, new value) for every column a rule writes, in the specification's order."""
    out = []
    for f in spec.FIELDS:
        if not (f.on_item and f.on_rule):
            continue
        if f.coding is not None:
            rule_has = f"(r.{f.entry_column} IS NOT NULL OR r.{f.name} <> '')"
            item_has = f"(i.{f.entry_column} IS NOT NULL OR btrim(i.{f.name}) <> '')"
            take = _takes(rule_has, item_has, mode)
            out.append((f.entry_column, f"CASE WHEN {take} THEN r.{f.entry_column} ELSE i.{f.entry_column} END"))
            out.append((f.name, f"CASE WHEN {take} THEN r.{f.name} ELSE i.{f.name} END"))
        elif f.kind is spec.Kind.BOOL:
            out.append((f.name, f"COALESCE(r.{f.name}, i.{f.name})"))
        elif f.kind is spec.Kind.CURRENCY:
            # A new item always has a currency (the model's default): FILL keeps one that was given explicitly.
            keep = "false" if mode is RuleMode.OVERWRITE else "%(keep_currency)s"
            out.append((f.name, f"CASE WHEN r.{f.name} <> '' AND NOT {keep} THEN r.{f.name} ELSE i.{f.name} END"))
        else:
            take = _takes(f"r.{f.name} <> ''", f"i.{f.name} <> ''", mode)
            out.append((f.name, f"CASE WHEN {take} THEN r.{f.name} ELSE i.{f.name} END"))
    due = "r.due_in_days IS NOT NULL AND i.date IS NOT NULL"
    due = due if mode is RuleMode.OVERWRITE else f"{due} AND i.due_date IS NULL"
    out.append(("due_date", f"CASE WHEN {due} THEN i.date + r.due_in_days ELSE i.due_date END"))
    return out


def _history_value(column: str, alias: str) -> str:
    f = spec.BY_NAME.get(column)
    if f is not None and f.kind is spec.Kind.BOOL:
        return f"CASE WHEN {alias}.{column} THEN 'True' ELSE 'False' END"
    return f"{alias}.{column}::text"


def _apply_sql(where: str, mode: RuleMode) -> str:
    assignments = _assignments(mode)
    logged_columns = [c for c, _ in assignments if not c.endswith("_entry_id")]
    before = ", ".join(f"i.{c} AS b_{c}" for c in logged_columns)
    returning = ", ".join(f"{_history_value(c, 'i')} AS a_{c}, t.b_{c}_text AS b_{c}" for c in logged_columns)
    before_text = ", ".join(f"{_history_value(c, 'i')} AS b_{c}_text" for c in logged_columns)
    logged = ", ".join(f"('{c}', c.b_{c}, c.a_{c})" for c in logged_columns)
    sets = ", ".join(f"{column} = {value}" for column, value in assignments)
    # Names from the field specification, values as parameters (S608: no input is formatted in).
    return f"""
WITH target AS (
    SELECT i.id, r.id AS rule_id, {before}, {before_text}
    FROM publishing_item i
    JOIN publishing_supplierrule r ON r.business_id = i.business_id AND r.supplier_id = i.supplier_id
    WHERE i.business_id = %(business)s AND i.state = ANY(%(unpublished)s) AND ({where})
    ORDER BY i.id
    FOR UPDATE OF i
), changed AS (
    UPDATE publishing_item i SET {sets}, updated_at = now()
    FROM target t JOIN publishing_supplierrule r ON r.id = t.rule_id
    WHERE i.id = t.id AND r.business_id = %(business)s
    RETURNING i.id, {returning}
), logged AS (
    INSERT INTO publishing_itemhistory (business_id, item_id, at, actor_id, field, before, after, reason)
    SELECT %(business)s, c.id, now(), %(actor)s, v.field, COALESCE(v.before, ''), COALESCE(v.after, ''), %(reason)s
    FROM changed c CROSS JOIN LATERAL (VALUES {logged}) AS v(field, before, after)
    WHERE v.before IS DISTINCT FROM v.after
)
SELECT count(*) FROM changed
"""  # noqa: S608


def items_apply_rule(
    *,
    business: Business,
    where: str,
    params: dict | None = None,
    mode: RuleMode,
    actor: User | None = None,
    reason: str = "",
    keep_currency: bool = True,
) -> int:
    """Apply each selected unpublished item's supplier rule (``where``: SQL on alias ``i``, code never input).
    Answers how many items a rule reached."""
    values = {
        **(params or {}),
        "business": business.pk,
        "unpublished": UNPUBLISHED,
        "keep_currency": keep_currency,
        "actor": actor.pk if actor is not None and actor.is_authenticated else None,
        "reason": reason[:255],
    }
    with db.cursor() as cursor:
        cursor.execute(_apply_sql(where, mode), values)
        return cursor.fetchone()[0]
