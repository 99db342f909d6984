"""Integration resolution (DESIGN.md §5), set-based, as one service.

For each unpublished item that a caller selects, the first that applies wins:

1. a sales item → the main connection (``main_only``);
2. a hand-made choice that is still live and takes this kind (``manual``);
3. the supplier rule's integration, if live and it takes this kind (``supplier_rule``);
4. the default for the kind: expense claims default for claims, publishing default otherwise (``default``);
5. the main connection, if it takes this kind (``main``).

One ``UPDATE … FROM (SELECT … FOR UPDATE)`` re-resolves any number of items and writes their
history in the same statement, so a default change that re-points 100,000 items is one query.
"""

from __future__ import annotations

import uuid

from django.db import connection as db

from accounts.models import Business, User
from integrations.models import LIVE_STATUSES, Connection, ProviderKind, PublishingDefaults

_RESOLVE_SQL = """
WITH target AS (
    SELECT i.id, i.integration_id AS before_id,
        CASE
            WHEN i.kind = 'sales' THEN %(main)s::uuid
            WHEN i.integration_source = 'manual' AND {manual_ok} THEN i.integration_id
            WHEN r.integration_id IS NOT NULL AND {rule_ok} THEN r.integration_id
            WHEN {default_ok} THEN {default_id}
            WHEN {main_ok} THEN %(main)s::uuid
            ELSE NULL
        END AS new_id,
        CASE
            WHEN i.kind = 'sales' THEN (CASE WHEN %(main)s::uuid IS NULL THEN NULL ELSE 'main_only' END)
            WHEN i.integration_source = 'manual' AND {manual_ok} THEN 'manual'
            WHEN r.integration_id IS NOT NULL AND {rule_ok} THEN 'supplier_rule'
            WHEN {default_ok} THEN 'default'
            WHEN {main_ok} THEN 'main'
            ELSE NULL
        END AS new_source
    FROM publishing_item i
    LEFT JOIN publishing_supplierrule r ON r.business_id = i.business_id AND r.supplier_id = i.supplier_id
    WHERE i.business_id = %(business)s AND i.state IN ('to_review', 'ready') AND ({where})
    FOR UPDATE OF i
), changed AS (
    UPDATE publishing_item i
    SET integration_id = t.new_id,
        integration_source = t.new_source,
        integration_chosen_by_id = CASE WHEN t.new_source = 'manual' THEN i.integration_chosen_by_id END,
        updated_at = now()
    FROM target t
    WHERE i.id = t.id
      AND (i.integration_id IS DISTINCT FROM t.new_id OR i.integration_source IS DISTINCT FROM t.new_source)
    RETURNING i.id, t.before_id, t.new_id
), logged AS (
    INSERT INTO publishing_itemhistory (business_id, item_id, at, actor_id, field, before, after, reason)
    SELECT %(business)s, c.id, now(), %(actor)s, 'integration',
           COALESCE(c.before_id::text, ''), COALESCE(c.new_id::text, ''), %(reason)s
    FROM changed c WHERE c.before_id IS DISTINCT FROM c.new_id
)
SELECT count(*) FROM changed
"""


def _accepts_expr(column: str) -> str:
    return (
        f"(CASE i.kind WHEN 'cost' THEN {column} = ANY(%(acc_cost)s::uuid[]) "
        f"WHEN 'expense_claim' THEN {column} = ANY(%(acc_claim)s::uuid[]) ELSE false END)"
    )


def _context(business: Business) -> dict:
    live = list(
        Connection.objects.for_business(business).filter(status__in=LIVE_STATUSES).only("id", "provider", "kind")
    )
    main = next((c.id for c in live if c.kind == ProviderKind.MAIN), None)

    def accepting(kind: str) -> list[uuid.UUID]:
        return [c.id for c in live if c.accepts(kind)]

    defaults = PublishingDefaults.objects.for_business(business).first()
    live_ids = {c.id for c in live}
    dp = defaults.default_publishing_connection_id if defaults else None
    dc = defaults.default_expense_claims_connection_id if defaults else None
    return {
        "main": main,
        "acc_cost": accepting("cost"),
        "acc_claim": accepting("expense_claim"),
        "dp": dp if dp in live_ids else None,
        "dc": dc if dc in live_ids else None,
    }


def items_reresolve(
    *, business: Business, where: str = "true", params: dict | None = None, actor: User | None = None, reason: str = ""
) -> int:
    """Resolve the integration of the business's unpublished items matching ``where`` (SQL on alias ``i``).

    Returns how many items changed. ``where`` is code, never user input; values go in ``params``.
    """
    default_id = "(CASE WHEN i.kind = 'expense_claim' THEN %(dc)s::uuid ELSE %(dp)s::uuid END)"
    sql = _RESOLVE_SQL.format(
        where=where,
        manual_ok=_accepts_expr("i.integration_id"),
        rule_ok=_accepts_expr("r.integration_id"),
        default_id=default_id,
        default_ok=f"({default_id} IS NOT NULL AND {_accepts_expr(default_id)})",
        main_ok=f"(%(main)s::uuid IS NOT NULL AND {_accepts_expr('%(main)s::uuid')})",
    )
    values = {
        **_context(business),
        **(params or {}),
        "business": business.pk,
        "actor": actor.pk if actor is not None and actor.is_authenticated else None,
        "reason": reason[:255],
    }
    with db.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.fetchone()[0]
