"""Bulk actions on many items at once (``POST items/bulk/``): publish, change the integration, archive."""

from __future__ import annotations

import json
import uuid

from django.db import connection as db_connection
from django.db import transaction

from accounts.audit import audit_record
from accounts.models import Business, User
from dext_connections.errors import ApplicationError
from integrations.models import LIVE_STATUSES, Connection, ProviderKind
from publishing.coding import items_recode
from publishing.models import IN_FLIGHT_STATES, UNPUBLISHED_STATES, IntegrationSource, ItemKind, ItemState
from publishing.pipeline import BulkResult, items_publish
from publishing.services._common import live_connection

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


_EDITABLE = ", ".join(f"'{state.value}'" for state in UNPUBLISHED_STATES)

_BULK_INTEGRATION_SQL = f"""
WITH target AS (
    SELECT i.id, i.integration_id AS before_id FROM publishing_item i
    WHERE i.business_id = %(business)s AND i.id = ANY(%(ids)s::uuid[])
      AND i.state IN ({_EDITABLE}) AND i.kind = ANY(%(kinds)s)
    ORDER BY i.id
    FOR UPDATE
), changed AS (
    UPDATE publishing_item i
    SET integration_id = %(connection)s, integration_source = '{IntegrationSource.MANUAL.value}',
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
    '{{}}'::jsonb)
FROM changed
"""  # noqa: S608 - choices of our own; values are parameters

# After the UPDATE, in the same transaction: the requested items it did not take, and why.
_BULK_INTEGRATION_LEFT_SQL = f"""
SELECT id, kind, state FROM publishing_item
WHERE business_id = %(business)s AND id = ANY(%(ids)s::uuid[])
  AND NOT (state IN ({_EDITABLE}) AND kind = ANY(%(kinds)s))
"""  # noqa: S608 - choices of our own; values are parameters


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
    connection = live_connection(business, connection_id)
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
            # Their coding follows them onto the new ledger's lists, or is cleared (and they are to review).
            items_recode(
                business=business,
                where="i.id = ANY(%(ids)s::uuid[]) AND i.integration_id = %(moved_to)s",
                params={"ids": ids, "moved_to": connection.pk},
                actor=actor,
                reason=f"Moved to {connection.name}",
            )
    return result


_BULK_ARCHIVE_SQL = f"""
WITH changed AS (
    UPDATE publishing_item i SET state = '{ItemState.ARCHIVED.value}', updated_at = now()
    FROM (SELECT id, state FROM publishing_item
          WHERE business_id = %(business)s AND id = ANY(%(ids)s::uuid[])) t
    WHERE i.id = t.id
    RETURNING i.id, t.state AS before
), logged AS (
    INSERT INTO publishing_itemhistory (business_id, item_id, at, actor_id, field, before, after, reason)
    SELECT %(business)s, c.id, now(), %(actor)s, 'state', c.before, '{ItemState.ARCHIVED.value}', 'Archived (bulk)'
    FROM changed c
)
SELECT count(*) FROM changed
"""  # noqa: S608 - choices of our own; values are parameters


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
    result = BulkResult()
    ids = _bulk_ids(item_ids, result)
    published = items_publish(business=business, item_ids=ids, actor=actor, queue="publish_bulk")
    published.errors = result.errors + published.errors
    return published
