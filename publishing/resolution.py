"""Integration resolution (DESIGN.md §5), set-based, as one service.

For each unpublished item that a caller selects, the first that applies wins:

1. a sales item → the main connection (``main_only``);
2. a hand-made choice that is still live and takes this kind (``manual``);
3. the supplier rule's integration, if live and it takes this kind (``supplier_rule``);
4. the default for the kind: expense claims default for claims, publishing default otherwise (``default``);
5. the main connection, if it takes this kind (``main``).

The resolution is the first part of the statement that codes the items (publishing.coding.recode_sql): one
``UPDATE`` moves any number of items to their integration, carries their coding onto its lists, sets their state
and writes their history, so a default change that re-points 100,000 items is one query.
"""

from __future__ import annotations

import uuid

from django.db import connection as db

from accounts.models import Business, User
from integrations.models import LIVE_STATUSES, Connection, ProviderKind, PublishingDefaults
from publishing.coding import UNPUBLISHED, coding_context, recode_sql
from publishing.models import IntegrationSource, ItemKind

S = IntegrationSource

_RESOLVED_CTE = f"""
    SELECT i.id, i.integration_id AS before_id,
        CASE
            WHEN i.kind = '{ItemKind.SALES.value}' THEN %(main)s::uuid
            WHEN i.integration_source = '{S.MANUAL.value}' AND {{manual_ok}} THEN i.integration_id
            WHEN r.integration_id IS NOT NULL AND {{rule_ok}} THEN r.integration_id
            WHEN {{default_ok}} THEN {{default_id}}
            WHEN {{main_ok}} THEN %(main)s::uuid
            ELSE NULL
        END AS new_id,
        CASE
            WHEN i.kind = '{ItemKind.SALES.value}' THEN
                (CASE WHEN %(main)s::uuid IS NULL THEN NULL ELSE '{S.MAIN_ONLY.value}' END)
            WHEN i.integration_source = '{S.MANUAL.value}' AND {{manual_ok}} THEN '{S.MANUAL.value}'
            WHEN r.integration_id IS NOT NULL AND {{rule_ok}} THEN '{S.SUPPLIER_RULE.value}'
            WHEN {{default_ok}} THEN '{S.DEFAULT.value}'
            WHEN {{main_ok}} THEN '{S.MAIN.value}'
            ELSE NULL
        END AS new_source
    FROM publishing_item i
    LEFT JOIN publishing_supplierrule r ON r.business_id = i.business_id AND r.supplier_id = i.supplier_id
    WHERE i.business_id = %(business)s AND i.state = ANY(%(unpublished)s) AND ({{where}})
    ORDER BY i.id
    FOR UPDATE OF i"""  # noqa: S608 - names and choices of our own; values are parameters


def _accepts_expr(column: str) -> str:
    return (
        f"(CASE i.kind WHEN '{ItemKind.COST.value}' THEN {column} = ANY(%(acc_cost)s::uuid[]) "
        f"WHEN '{ItemKind.EXPENSE_CLAIM.value}' THEN {column} = ANY(%(acc_claim)s::uuid[]) ELSE false END)"
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
        "acc_cost": accepting(ItemKind.COST),
        "acc_claim": accepting(ItemKind.EXPENSE_CLAIM),
        "dp": dp if dp in live_ids else None,
        "dc": dc if dc in live_ids else None,
    }


def items_reresolve(
    *, business: Business, where: str = "true", params: dict | None = None, actor: User | None = None, reason: str = ""
) -> int:
    """Resolve the integration of the business's unpublished items matching ``where`` (SQL on alias ``i``), and
    carry the coding of those that moved onto their new ledger's lists, in one statement.

    Returns how many items moved. ``where`` is code, never user input; values go in ``params``.
    """
    default_id = f"(CASE WHEN i.kind = '{ItemKind.EXPENSE_CLAIM.value}' THEN %(dc)s::uuid ELSE %(dp)s::uuid END)"
    resolved = _RESOLVED_CTE.format(
        where=where,
        manual_ok=_accepts_expr("i.integration_id"),
        rule_ok=_accepts_expr("r.integration_id"),
        default_id=default_id,
        default_ok=f"({default_id} IS NOT NULL AND {_accepts_expr(default_id)})",
        main_ok=f"(%(main)s::uuid IS NOT NULL AND {_accepts_expr('%(main)s::uuid')})",
    )
    values = {
        **_context(business),
        **coding_context(business).params(),
        **(params or {}),
        "business": business.pk,
        "unpublished": UNPUBLISHED,
        "actor": actor.pk if actor is not None and actor.is_authenticated else None,
        "reason": reason[:255],
    }
    with db.cursor() as cursor:
        cursor.execute(recode_sql(where, resolved=resolved), values)
        return cursor.fetchone()[0]
