"""Coding items against their ledger's lists (DESIGN.md §9), and readiness, decided once (issue 13).

Everything that can change an item's coding or readiness (a new item, an edit, a supplier rule, a change of
integration by hand, in bulk, by a default or a disconnect, a list sync) ends with :func:`items_recode`: one
set-based statement, built from the field specification (publishing/fields.py), that for each selected
unpublished item

- keeps each coded field's entry when it is one of the item's ledger's lists; carries an entry of another ledger
  over by the same code, else the same name (case aside), and clears the field when nothing matches (never sends
  one ledger's code to another); matches a field given as words (code, name, or "code name") to an entry;
- and sets the state: ``ready`` when the supplier or customer, the required fields and a category active in the
  item's ledger are there (a tax rate or a paid item's payment account, when given or needed, active too), else
  ``to_review``;

writing history for every field and state it changed. :func:`item_problems` says the same in sentences, in
Python, for one item (the API's ``problems``, the badge's hover); a parity test runs both on the same cases.

A supplier rule (:func:`items_apply_rule`) is one statement too, in one of two modes (fields.RuleMode).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection as db
from django.db.models import Exists, OuterRef

from accounts.models import Business, User
from integrations.lists.models import ConnectionLists, ListEntry, ListKind
from integrations.models import LIVE_STATUSES, Connection, ProviderKind
from integrations.providers import registry
from publishing import fields as spec
from publishing.models import UNPUBLISHED_STATES, IntegrationSource, Item, ItemKind, ItemState

UNPUBLISHED = [s.value for s in UNPUBLISHED_STATES]


@dataclass
class CodingContext:
    """A business's live connections as coding needs them: whose lists code each one's items (ApprovalMax's are
    its main ledger's), their names, which keep payment accounts, and which have never finished a sync."""

    coding_of: dict = field(default_factory=dict)  # connection id → id of the connection whose lists code it
    names: dict = field(default_factory=dict)  # coding connection id → name
    keeps: dict = field(default_factory=dict)  # coding connection id → the ListKinds its ledger keeps
    not_synced: set = field(default_factory=set)
    sales_by_products: set = field(default_factory=set)  # coding connections whose sales lines name a product

    def kind_for(self, f: spec.Field, item_kind: str, coder) -> ListKind:
        """The list a coded field of an item of ``item_kind`` comes from in ``coder``'s ledger."""
        if f.coding is ListKind.ACCOUNTS and item_kind == ItemKind.SALES and coder in self.sales_by_products:
            return ListKind.PRODUCTS
        return f.coding

    def keeping(self, kind: ListKind) -> list:
        return [coder for coder, kinds in self.keeps.items() if kind in kinds]

    def params(self) -> dict:
        ids = list(self.coding_of)
        return {
            "conn_ids": ids,
            "coding_ids": [self.coding_of[i] for i in ids],
            **{f"keeps_{f.name}": self.keeping(f.coding) for f in spec.CODED},
            "sales_by_products": list(self.sales_by_products),
        }


def coding_context(business) -> CodingContext:
    """``business``: a Business or its id."""
    synced = ConnectionLists.objects.for_business(business).filter(connection=OuterRef("pk"), synced_at__isnull=False)
    live = list(
        Connection.objects.for_business(business)
        .filter(status__in=LIVE_STATUSES)
        .annotate(lists_synced=Exists(synced))  # in the same query: coding is judged on every write
    )
    main = next((c for c in live if c.kind == ProviderKind.MAIN), None)
    context = CodingContext()
    for connection in live:
        provider = registry.get_or_none(connection.provider)
        if provider is None:
            continue
        coder = main if provider.lists_from_main else connection
        coder_provider = registry.get_or_none(coder.provider) if coder is not None else None
        if coder_provider is None or not coder_provider.list_kinds:
            continue  # a ledger without lists: its items are coded in words only
        context.coding_of[connection.pk] = coder.pk
        context.names[coder.pk] = coder.name
        context.keeps[coder.pk] = set(coder_provider.list_kinds)
        if coder_provider.sales_category_list == ListKind.PRODUCTS:
            context.sales_by_products.add(coder.pk)
    synced_ids = {c.pk for c in live if c.lists_synced}
    context.not_synced = set(context.coding_of.values()) - synced_ids
    return context


# ---------------------------------------------------------------- the statement


def _new_entry(f: spec.Field) -> str:
    """The entry a coded field ends with, for one item (alias i), its current entry (alias e_<name>) and its
    ledger's id (m.coding_id)."""
    cur = f"e_{f.name}"
    kind = f"'{f.coding.value}'"
    if f.coding is ListKind.ACCOUNTS:  # a sale to a ledger whose invoice lines name products: from its products
        kind = (
            f"(CASE WHEN i.kind = '{ItemKind.SALES.value}' AND m.coding_id = ANY(%(sales_by_products)s) "
            f"THEN '{ListKind.PRODUCTS.value}' ELSE '{f.coding.value}' END)"
        )
    # Names from the field specification, values as parameters (S608: no input is formatted in).
    pick = (
        "SELECT x.id FROM integrations_listentry x WHERE x.business_id = %(business)s "  # noqa: S608
        f"AND x.connection_id = m.coding_id AND x.kind = {kind} AND x.active AND "
    )
    carried = (
        f"({pick}(({cur}.code <> '' AND lower(x.code) = lower({cur}.code)) OR lower(x.name) = lower({cur}.name)) "
        f"ORDER BY ({cur}.code <> '' AND lower(x.code) = lower({cur}.code)) DESC, x.id LIMIT 1)"
    )
    text = f"btrim(i.{f.name})"
    matched = (
        f"({pick}(lower(x.code) = lower({text}) OR lower(x.name) = lower({text}) "
        f"OR (x.code <> '' AND lower(x.code || ' ' || x.name) = lower({text}))) "
        f"ORDER BY (lower(x.code) = lower({text})) DESC, (lower(x.name) = lower({text})) DESC, x.id LIMIT 1)"
    )
    return (
        f"CASE WHEN m.coding_id IS NULL THEN i.{f.entry_column} "
        f"WHEN {cur}.connection_id = m.coding_id AND {cur}.kind = {kind} THEN i.{f.entry_column} "
        f"WHEN i.{f.entry_column} IS NOT NULL THEN {carried} "
        f"WHEN {text} <> '' THEN {matched} ELSE NULL END"
    )


def _new_text(f: spec.Field) -> str:
    """The words of a coded field after the recode (alias t for the target row, n_<name> for its new entry): the
    entry's code or name; nothing when an entry had no match in the new ledger — the category is cleared (it must
    be chosen again) and so is a field whose list the new ledger does not keep, while a tax rate or payment account
    the new ledger could have keeps its words, so the item says which one to choose; else the words as they were."""
    cleared = f"t.coding_id IS NOT NULL AND t.b_{f.name}_entry IS NOT NULL"
    if not f.required:
        cleared += f" AND NOT (t.coding_id = ANY(%(keeps_{f.name})s))"
    return (
        f"CASE WHEN n_{f.name}.id IS NOT NULL THEN left(COALESCE(NULLIF(n_{f.name}.code, ''), n_{f.name}.name), "
        f"{f.max_length}) WHEN {cleared} THEN '' ELSE t.b_{f.name} END"
    )


def not_ready_sql() -> str:
    """An item (alias i; t for its target row with coding_id, n_<name> for its coded fields' new entries) that is
    not ready: the one readiness rule in SQL. :func:`item_problems` is the same rule in Python."""
    missing = [
        f"(CASE WHEN i.kind = '{ItemKind.SALES.value}' THEN i.customer_id IS NULL ELSE i.supplier_id IS NULL END)",
        *[f"i.{name} IS NULL" for name in spec.REQUIRED],
    ]
    for f in spec.CODED:
        entry_bad = f"(n_{f.name}.id IS NULL OR NOT n_{f.name}.active)"
        words = f"({_new_text(f)})"
        if f.required:
            # Without a ledger (no integration yet) only the words can be asked for.
            missing.append(f"(CASE WHEN t.coding_id IS NULL THEN {words} = '' ELSE {entry_bad} END)")
        else:
            # Only where the ledger keeps the list; a paid item needs the account it was paid from.
            asked = f"{words} <> ''"
            if f.coding is ListKind.PAYMENT_ACCOUNTS:
                asked = f"({asked} OR i.paid)"
            missing.append(f"(t.coding_id = ANY(%(keeps_{f.name})s) AND {asked} AND {entry_bad})")
    return " OR ".join(missing)


def recode_sql(where: str, resolved: str | None = None) -> str:
    """The statement that codes and judges the selected items (``where`` on alias ``i``). With ``resolved`` (the
    body of a CTE answering ``id, before_id, new_id, new_source`` for the items whose integration is being
    resolved, publishing.resolution), the same statement moves them to their new integration too: one UPDATE
    for both, however many items."""
    before = ", ".join(
        f"i.{f.name} AS b_{f.name}, i.{f.entry_column} AS b_{f.name}_entry, {_new_entry(f)} AS new_{f.name}"
        for f in spec.CODED
    )
    current = " ".join(
        f"LEFT JOIN integrations_listentry e_{f.name} ON e_{f.name}.id = i.{f.entry_column}" for f in spec.CODED
    )
    new = " ".join(f"LEFT JOIN integrations_listentry n_{f.name} ON n_{f.name}.id = t.new_{f.name}" for f in spec.CODED)
    words = ", ".join(f"{_new_text(f)} AS w_{f.name}" for f in spec.CODED)
    sets = ", ".join(f"{f.entry_column} = d.new_{f.name}, {f.name} = d.w_{f.name}" for f in spec.CODED)
    differs = " OR ".join(
        [
            "d.before_id IS DISTINCT FROM d.new_id",
            "d.b_source IS DISTINCT FROM d.new_source",
            "d.b_state IS DISTINCT FROM d.a_state",
            *[f"d.b_{f.name}_entry IS DISTINCT FROM d.new_{f.name}" for f in spec.CODED],
            *[f"d.b_{f.name} IS DISTINCT FROM d.w_{f.name}" for f in spec.CODED],
        ]
    )
    returning = ", ".join(f"d.b_{f.name}, d.w_{f.name}" for f in spec.CODED)
    logged = ", ".join(f"('{f.name}', c.b_{f.name}, c.w_{f.name})" for f in spec.CODED)
    if resolved is None:
        source = f"""
        SELECT i.id, i.integration_id AS before_id, i.integration_id AS new_id, i.integration_source AS new_source
        FROM publishing_item i
        WHERE i.business_id = %(business)s AND i.state = ANY(%(unpublished)s) AND ({where})
        ORDER BY i.id
        FOR UPDATE OF i"""  # noqa: S608
    else:
        source = resolved
    manual = IntegrationSource.MANUAL.value
    # target and decided are MATERIALIZED: each item's new coding (its look-ups in the lists) is worked out once.
    # Inlined, a planner that thinks the tables empty (statistics taken after rolled-back writes: a fresh database)
    # may run the whole of decided again for every item the UPDATE visits, quadratic in the items.
    # Names from the field specification, values as parameters (S608: no input is formatted in).
    return f"""
WITH coding AS (
    SELECT * FROM unnest(%(conn_ids)s::uuid[], %(coding_ids)s::uuid[]) AS m(connection_id, coding_id)
), resolved AS ({source}
), target AS MATERIALIZED (
    SELECT i.id, i.state AS b_state, i.integration_source AS b_source, res.before_id, res.new_id, res.new_source,
        m.coding_id, {before}
    FROM resolved res
    JOIN publishing_item i ON i.id = res.id
    LEFT JOIN coding m ON m.connection_id = res.new_id
    {current}
), decided AS MATERIALIZED (
    SELECT t.*, {words},
        CASE WHEN {not_ready_sql()} THEN '{ItemState.TO_REVIEW.value}' ELSE '{ItemState.READY.value}' END AS a_state
    FROM target t JOIN publishing_item i ON i.id = t.id {new}
), changed AS (
    UPDATE publishing_item i SET
        integration_id = d.new_id, integration_source = d.new_source,
        integration_chosen_by_id = CASE WHEN d.new_source = '{manual}' THEN i.integration_chosen_by_id END,
        {sets}, state = d.a_state, updated_at = now()
    FROM decided d
    WHERE i.id = d.id AND ({differs})
    RETURNING i.id, d.before_id, d.new_id, d.b_source, d.new_source, d.b_state, d.a_state, {returning}
), logged AS (
    INSERT INTO publishing_itemhistory (business_id, item_id, at, actor_id, field, before, after, reason)
    SELECT %(business)s, c.id, now(), %(actor)s, v.field, COALESCE(v.before, ''), COALESCE(v.after, ''), %(reason)s
    FROM changed c CROSS JOIN LATERAL (VALUES
        ('integration', c.before_id::text, c.new_id::text), {logged}, ('state', c.b_state, c.a_state)
    ) AS v(field, before, after)
    WHERE v.before IS DISTINCT FROM v.after
)
SELECT count(*) FILTER (WHERE before_id IS DISTINCT FROM new_id OR b_source IS DISTINCT FROM new_source),
    count(*) FROM changed
"""  # noqa: S608


def items_recode(
    *,
    business: Business,
    where: str = "true",
    params: dict | None = None,
    actor: User | None = None,
    reason: str = "",
    context: CodingContext | None = None,
) -> int:
    """Carry the coding of the business's unpublished items matching ``where`` (SQL on alias ``i``; code, never
    input) onto their ledger's lists and set their state. Answers how many items changed."""
    context = context or coding_context(business)
    values = {
        **context.params(),
        **(params or {}),
        "business": business.pk,
        "unpublished": UNPUBLISHED,
        "actor": actor.pk if actor is not None and actor.is_authenticated else None,
        "reason": reason[:255],
    }
    with db.cursor() as cursor:
        cursor.execute(recode_sql(where), values)
        return cursor.fetchone()[1]


# ---------------------------------------------------------------- readiness in Python


def coder_of(item: Item, context: CodingContext):
    return context.coding_of.get(item.integration_id) if item.integration_id else None


def item_problems(item: Item, context: CodingContext) -> list[dict]:
    """Why an unpublished item is not ready, field by field, in sentences (empty: it is ready). The same rule as
    :func:`not_ready_sql`, which sets the state; its entries must be loaded (select_related) for speed."""
    problems = []
    contact = "customer" if item.kind == ItemKind.SALES else "supplier"
    if (item.customer_id if item.kind == ItemKind.SALES else item.supplier_id) is None:
        problems.append({"field": contact, "detail": f"Add the {contact}."})
    for name in spec.REQUIRED:
        if getattr(item, name) is None:
            problems.append({"field": name, "detail": f"Add the {spec.LABELS[name].lower()}."})
    coder = coder_of(item, context)
    for f in spec.CODED:
        words = (getattr(item, f.name) or "").strip()
        entry = getattr(item, f.entry_field)
        what = spec.LABELS[f.name].lower()
        if coder is None:
            if f.required and not words:
                problems.append({"field": f.name, "detail": f"Add the {what}."})
            continue
        if f.coding not in context.keeps.get(coder, ()):
            continue  # the ledger keeps no such list: nothing to choose
        if not (f.required or words or (f.coding is ListKind.PAYMENT_ACCOUNTS and item.paid)):
            continue
        ledger = context.names.get(coder, "the integration")
        article = "an" if what[0] in "aeiou" else "a"
        if entry is None or entry.connection_id != coder or entry.kind != context.kind_for(f, item.kind, coder):
            if coder in context.not_synced:
                detail = f"{ledger}'s lists are still syncing; the {what} can be chosen once they are in."
            elif words:
                detail = f"{ledger}'s list has no {what} “{words}”. Choose {article} {what} from {ledger}'s list."
            else:
                detail = f"Choose {article} {what} from {ledger}'s list."
            problems.append({"field": f.name, "detail": detail})
        elif not entry.active:
            problems.append(
                {"field": f.name, "detail": f"“{entry.label}” is no longer active in {ledger}. Choose another {what}."}
            )
    return problems


def entry_for(*, business: Business, entry_id, kind: ListKind) -> ListEntry | None:
    return ListEntry.objects.for_business(business).filter(kind=kind).by_id(entry_id)
