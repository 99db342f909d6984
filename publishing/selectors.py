"""Reads about items, suppliers and supplier rules: the inbox lists, the item page, the rules page.

Every list is one business's rows through the fail-closed tenant manager, with its relations
joined (``select_related``) so that a page costs the same few queries whatever the data size.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace

from django.db import connection as db
from django.db.models import Q

from accounts.models import Business
from dext_connections.errors import ApplicationError
from dext_connections.pagination import decode_cursor, keyset_page
from integrations.models import Connection, ConnectionStatus, ProviderKind
from integrations.providers import registry
from integrations.selectors import connections_live
from publishing.fields import CODING_ENTRY
from publishing.models import (
    Customer,
    Item,
    ItemHistory,
    ItemKind,
    ItemState,
    Supplier,
    SupplierRule,
)

# The tabs of the item lists. Queued and publishing items stay under Ready with their own badge.
TABS: dict[str, tuple[str, tuple[str, ...]]] = {
    "to_review": ("To review", (ItemState.TO_REVIEW,)),
    "ready": ("Ready", (ItemState.READY, ItemState.QUEUED, ItemState.PUBLISHING)),
    "published": ("Published", (ItemState.PUBLISHED,)),
    "archived": ("Archived", (ItemState.ARCHIVED,)),
}
ITEM_ORDER = ("created_at", "id")


@dataclass
class ConnectionsView:
    """The business's connections, read once per request, and what each one takes."""

    live: list[Connection]
    main: Connection | None
    names: dict[uuid.UUID, str] = field(default_factory=dict)

    @property
    def active_count(self) -> int:
        return sum(1 for c in self.live if c.status == ConnectionStatus.ACTIVE)

    @property
    def show_integration(self) -> bool:
        """DESIGN.md §5: the Integration column and field appear when more than one connection is active."""
        return self.active_count > 1

    def accepting(self, kind: str) -> list[Connection]:
        return [c for c in self.live if c.accepts(kind)]

    @property
    def pull_labels(self) -> dict:
        """Live connections whose items wait for the provider's software to fetch them (QuickBooks Desktop's Web
        Connector on the user's PC), and what such a queued item says meanwhile (``Provider.pull_label``)."""
        return registry.pull_labels(self.live)

    def name_of(self, connection_id) -> str:
        if not connection_id:
            return ""
        return self.names.get(connection_id) or self.names.get(_as_uuid(connection_id)) or "Unknown connection"


def _as_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def connections_for_items(*, business: Business, include_disconnected: bool = False) -> ConnectionsView:
    """One query: the live connections (and, for history, the disconnected ones' names too)."""
    if include_disconnected:
        rows = list(Connection.objects.for_business(business).order_by("connected_at"))
        live = [c for c in rows if c.is_live]
    else:
        rows = live = list(connections_live(business=business).order_by("connected_at"))
    names = {c.id: c.name if c.is_live else f"{c.name} (disconnected)" for c in rows}
    main = next((c for c in live if c.kind == ProviderKind.MAIN), None)
    return ConnectionsView(live=live, main=main, names=names)


def _uuid_param(params, name: str, *, strict: bool) -> uuid.UUID | None:
    raw = params.get(name) or None
    if raw is None:
        return None
    value = _as_uuid(raw)
    if value is None and strict:
        raise ApplicationError("invalid", f"{name} must be an id.", extra={"errors": {name: ["Not a valid id."]}})
    return value


@dataclass(frozen=True)
class ItemFilters:
    kinds: tuple[str, ...] = ()
    states: tuple[str, ...] = ()
    supplier: uuid.UUID | None = None
    customer: uuid.UUID | None = None
    integration: uuid.UUID | None = None
    q: str = ""
    failed: bool = False  # only items whose last publish failed (still shown until a later publish succeeds)
    error: str = ""  # only those that failed with exactly these words (the month-end page's failure groups)

    @classmethod
    def from_params(cls, params, *, kinds=(), states=(), strict: bool = False) -> ItemFilters:
        """Filters from a query string. ``strict`` (the API) refuses malformed ids; pages ignore them."""
        return cls(
            kinds=tuple(kinds),
            states=tuple(states),
            supplier=_uuid_param(params, "supplier", strict=strict),
            customer=_uuid_param(params, "customer", strict=strict),
            integration=_uuid_param(params, "integration", strict=strict),
            q=(params.get("q") or "").strip()[:100],
            failed=(params.get("failed") or "").lower() in ("1", "true", "yes") or bool(params.get("error")),
            error=(params.get("error") or "")[:2000],
        )


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


def items_list(*, business: Business, filters: ItemFilters):
    """The business's items matching ``filters``, with supplier and customer joined."""
    qs = Item.objects.for_business(business).select_related(
        "supplier", "customer", "integration_chosen_by", *CODING_ENTRY.values()
    )
    if len(filters.kinds) == 1:
        qs = qs.filter(kind=filters.kinds[0])
    elif filters.kinds:
        qs = qs.filter(kind__in=filters.kinds)
    if len(filters.states) == 1:
        qs = qs.filter(state=filters.states[0])
    elif filters.states:
        qs = qs.filter(state__in=filters.states)
    qs = qs.filter(items_filter_q(supplier=filters.supplier, integration=filters.integration, q=filters.q))
    if filters.customer:
        qs = qs.filter(customer_id=filters.customer)
    if filters.failed:
        qs = qs.filter(last_publish_error__isnull=False)
    if filters.error:
        qs = qs.filter(last_publish_error=filters.error)
    return qs


def _after_cursor(qs, cursor: str | None):
    """Rows after ``cursor`` in the newest-first order of :data:`ITEM_ORDER` (for the UNION ALL below,
    where keyset_page cannot add its own condition). The redundant ``created_at <= bound`` lets the
    index scan start at the cursor instead of walking down from the newest row."""
    if not cursor:
        return qs
    created_at, item_id = decode_cursor(cursor, model=qs.model, fields=ITEM_ORDER)
    return qs.filter(created_at__lte=created_at).filter(
        Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=item_id)
    )


def items_page(*, business: Business, filters: ItemFilters, cursor: str | None, size: int):
    """One keyset page (newest first) of :func:`items_list` and the cursor of the next one.

    Several states (the Ready tab: ready, queued, publishing) are read as two ordered index scans in
    one ``UNION ALL`` query, the first state alone and the transient others together: ``state IN (…)``
    would make PostgreSQL sort every ready row of the business to find the newest 50.
    """
    if len(filters.states) <= 1:
        return keyset_page(items_list(business=business, filters=filters), fields=ITEM_ORDER, cursor=cursor, size=size)
    ordering = [f"-{name}" for name in ITEM_ORDER]
    head, rest = (
        _after_cursor(items_list(business=business, filters=replace(filters, states=states)), cursor).order_by(
            *ordering
        )[: size + 1]
        for states in (filters.states[:1], filters.states[1:])
    )
    return keyset_page(head.union(rest, all=True), fields=ITEM_ORDER, cursor=None, size=size)


TAB_COUNT_CAP = 999

_TAB_COUNTS_SQL = """
SELECT
    (SELECT count(*) FROM (SELECT 1 FROM publishing_item WHERE business_id = %(business)s
        AND kind = ANY(%(kinds)s) AND state = ANY(%(to_review)s) LIMIT %(cap)s) a),
    (SELECT count(*) FROM (SELECT 1 FROM publishing_item WHERE business_id = %(business)s
        AND kind = ANY(%(kinds)s) AND state = ANY(%(ready)s) LIMIT %(cap)s) b)
"""


def tab_counts(*, business: Business, kinds: tuple[str, ...]) -> dict[str, int]:
    """How many items wait in To review and Ready, in one query, counted up to a cap so the cost stays bounded.

    A count above :data:`TAB_COUNT_CAP` is shown as "999+".
    """
    with db.cursor() as cursor:
        cursor.execute(
            _TAB_COUNTS_SQL,
            {
                "business": business.pk,
                "kinds": list(kinds),
                "to_review": list(TABS["to_review"][1]),
                "ready": list(TABS["ready"][1]),
                "cap": TAB_COUNT_CAP + 1,
            },
        )
        to_review, ready = cursor.fetchone()
    return {"to_review": to_review, "ready": ready}


def suppliers_for_filter(*, business: Business, limit: int = 500) -> list[Supplier]:
    return list(Supplier.objects.for_business(business).order_by("name").only("id", "name")[:limit])


def customers_for_filter(*, business: Business, limit: int = 500) -> list[Customer]:
    return list(Customer.objects.for_business(business).order_by("name").only("id", "name")[:limit])


def item_history(*, item: Item, limit: int = 200) -> list[ItemHistory]:
    return list(
        ItemHistory.objects.for_business(item.business_id)
        .filter(item=item)
        .select_related("actor")
        .order_by("-id")[:limit]
    )


def supplier_rules_list(*, business: Business):
    return SupplierRule.objects.for_business(business).select_related("supplier").order_by("supplier__name", "id")


def suppliers_list(*, business: Business):
    return Supplier.objects.for_business(business)


def item_kinds_label(kind: str) -> str:
    return {ItemKind.COST: "Costs", ItemKind.EXPENSE_CLAIM: "Expense claims", ItemKind.SALES: "Sales"}[kind]
