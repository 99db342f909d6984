"""The practice's month-end: per client it reaches, what is queued, publishing, published today and failed, how far
along it is, when it should be done, and each connection's use of its limits; and "Publish all ready items".

Reads are made for one page of clients at once (a handful of queries whatever the page's size); every item and
connection read names the page's client ids, which come from the clients the user reaches
(``accounts.selectors.practice_clients_reached``), never from the request alone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlencode

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import Business, User
from accounts.permissions import Action, can
from accounts.selectors import practice_accesses_for, practice_clients_reached
from dext_connections.errors import NotAllowed, NotFound
from dext_connections.pagination import keyset_page
from integrations.models import LIVE_STATUSES, Connection
from integrations.providers import registry
from publishing import eta
from publishing.models import Item, ItemKind, ItemState
from publishing.pipeline import items_publish

CLIENT_ORDER = ("name", "id")
# What "Publish all ready items" sends: every kind, ready, and not refused last time (sending a refused document
# again spends the provider's limit to be refused again: those are fixed from their failure group first).
PUBLISHABLE_KINDS = (ItemKind.COST, ItemKind.SALES, ItemKind.EXPENSE_CLAIM)
READY_TO_PUBLISH = Q(state=ItemState.READY, last_publish_error__isnull=True, kind__in=PUBLISHABLE_KINDS)
PUBLISH_CHUNK = 500  # items queued per transaction, so a 5,000-item client never holds 5,000 row locks at once
_NOUNS = {
    ItemKind.COST: ("cost", "costs"),
    ItemKind.EXPENSE_CLAIM: ("expense claim", "expense claims"),
    ItemKind.SALES: ("sale", "sales"),
}
LIST_URLS = {ItemKind.COST: "costs_inbox", ItemKind.EXPENSE_CLAIM: "expense_claims_list", ItemKind.SALES: "sales_list"}


@dataclass
class FailureGroup:
    detail: str
    kind: str
    count: int
    url: str

    @property
    def label(self) -> str:
        """'3 costs', '1 expense claim', '2 sales'."""
        one, many = _NOUNS[self.kind]
        return f"{self.count} {one if self.count == 1 else many}"


@dataclass
class ConnectionUse:
    id: uuid.UUID
    provider: str
    name: str
    status: str
    queued: int
    publishing: int
    eta: datetime | None
    waiting_for_day: bool
    reason: str
    minute_used: int
    minute_limit: int
    day_used: int
    day_limit: int | None


@dataclass
class ClientMonthEnd:
    business: Business
    can_publish: bool
    queued: int = 0
    publishing: int = 0
    published_today: int = 0
    failed: int = 0
    ready: int = 0
    failures: list[FailureGroup] = field(default_factory=list)
    connections: list[ConnectionUse] = field(default_factory=list)

    @property
    def in_flight(self) -> bool:
        return bool(self.queued or self.publishing)

    @property
    def progress(self) -> int:
        """Published today out of everything in today's run: published today + queued + publishing + failed, in %."""
        total = self.published_today + self.queued + self.publishing + self.failed
        return round(100 * self.published_today / total) if total else 0

    @property
    def eta(self) -> datetime | None:
        """When the last of its connections should be through its queue."""
        times = [c.eta for c in self.connections if c.eta is not None]
        return max(times) if times else None

    @property
    def waiting_reason(self) -> str:
        return next((c.reason or "Waiting for the daily limit." for c in self.connections if c.waiting_for_day), "")


def start_of_today() -> datetime:
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def failed_items_url(business_id, kind: str, detail: str) -> str:
    query = urlencode({"tab": "ready", "failed": "1", "error": detail})
    return f"{reverse(LIST_URLS[kind], kwargs={'business_id': business_id})}?{query}"


def _require_practice_user(user: User) -> None:
    if not user.practice_memberships.exists():
        raise NotAllowed("The month-end page is for practice users.")


def month_end_page(*, user: User, cursor: str | None, size: int) -> tuple[list[ClientMonthEnd], str | None]:
    """One page of the clients ``user`` reaches through a practice, by name, each with its month-end figures."""
    _require_practice_user(user)
    clients, next_cursor = keyset_page(
        practice_clients_reached(user=user), fields=CLIENT_ORDER, cursor=cursor, size=size, descending=False
    )
    return month_end_for(user=user, clients=clients), next_cursor


def month_end_for(*, user: User, clients: list[Business]) -> list[ClientMonthEnd]:
    publishers = _publishers(user, clients)
    rows = {b.pk: ClientMonthEnd(business=b, can_publish=b.pk in publishers) for b in clients}
    if not rows:
        return []
    ids = list(rows)
    today = start_of_today()
    scope = Item.objects.unscoped().filter(business_id__in=ids)
    failed = Q(state=ItemState.READY, last_publish_error__isnull=False)
    ready = READY_TO_PUBLISH
    # Two index scans per client: the inbox index (business, kind, state …) for the work still to do, the partial
    # index of published items by time for today's (a business's published history is never walked).
    counts = (
        scope.filter(kind__in=ItemKind.values, state__in=(ItemState.QUEUED, ItemState.PUBLISHING, ItemState.READY))
        .values("business_id")
        .annotate(
            queued=Count("id", filter=Q(state=ItemState.QUEUED)),
            publishing=Count("id", filter=Q(state=ItemState.PUBLISHING)),
            failed=Count("id", filter=failed),
            ready=Count("id", filter=ready),
        )
    )
    published = (
        scope.filter(state=ItemState.PUBLISHED, published_at__gte=today)
        .values("business_id")
        .annotate(published_today=Count("id"))
    )
    counts = [*counts, *published]
    for row in counts:
        client = rows[row.pop("business_id")]
        for name, value in row.items():
            setattr(client, name, value)
    groups = (
        scope.filter(failed)
        .values("business_id", "kind", "last_publish_error")
        .annotate(n=Count("id"))
        .order_by("business_id", "-n", "last_publish_error")
    )
    for g in groups:
        detail = g["last_publish_error"]
        rows[g["business_id"]].failures.append(
            FailureGroup(detail, g["kind"], g["n"], failed_items_url(g["business_id"], g["kind"], detail))
        )
    connections = list(
        Connection.objects.unscoped().filter(business_id__in=ids, status__in=LIVE_STATUSES).order_by("connected_at")
    )
    forecasts = eta.connection_forecasts([c.pk for c in connections])
    limits = eta.limit_use([c.pk for c in connections])
    for c in connections:
        forecast, use = forecasts.get(c.pk), limits.get(c.pk)
        provider = registry.get_or_none(c.provider)
        rows[c.business_id].connections.append(
            ConnectionUse(
                id=c.pk,
                provider=c.provider,
                name=provider.name if provider else c.provider,
                status=c.status,
                queued=forecast.queued if forecast else 0,
                publishing=forecast.publishing if forecast else 0,
                eta=forecast.eta if forecast else None,
                waiting_for_day=bool(forecast and forecast.waiting_for_day),
                reason=forecast.reason if forecast else "",
                minute_used=use.minute_used if use else 0,
                minute_limit=use.minute_limit if use else 0,
                day_used=use.day_used if use else 0,
                day_limit=use.day_limit if use else None,
            )
        )
    return list(rows.values())


def _publishers(user: User, clients) -> set:
    """Those of ``clients`` where ``user``'s role (through the practice) may publish."""
    return {
        pk for pk, access in practice_accesses_for(user=user, businesses=clients).items() if can(access, Action.PUBLISH)
    }


@dataclass
class ClientPublished:
    business: Business
    queued: int = 0
    refused: int = 0
    in_background: bool = False  # handed to a worker: ``queued`` counts the ready items it queues, ``refused`` 0


def month_end_publish(
    *, user: User, business_ids: list | None = None, in_request: bool = True
) -> list[ClientPublished]:
    """Queue every ready item (not refused last time) of the named clients, or of every client ``user`` reaches
    through a practice, on the bulk queue. A client the user does not reach is 404 ``not_found``; one where their
    role may not publish is 403 ``not_allowed`` (nothing is queued for anyone then). In a request, more than
    ``MONTH_END_INLINE_MAX`` ready items in all are queued by a task per client (``in_background``)."""
    _require_practice_user(user)
    reached = practice_clients_reached(user=user).order_by(*CLIENT_ORDER)
    if business_ids is not None:
        wanted = set()
        for raw in business_ids:
            try:
                wanted.add(uuid.UUID(str(raw)))
            except ValueError:
                raise NotFound("No such client.") from None
        clients = list(reached.filter(pk__in=wanted))
        if len(clients) != len(wanted):
            raise NotFound("No such client.")
        publishers = _publishers(user, clients)
        for business in clients:
            if business.pk not in publishers:
                raise NotAllowed(f"Your role does not allow publishing in {business.name}.")
    else:
        clients = list(reached)
        publishers = _publishers(user, clients)
        clients = [b for b in clients if b.pk in publishers]
    if not in_request:
        return [_publish_ready(user, business) for business in clients]
    ready = dict(
        Item.objects.unscoped()  # the ids are of the clients the user reaches (checked above)
        .filter(READY_TO_PUBLISH, business_id__in=[b.pk for b in clients])
        .values("business_id")
        .annotate(n=Count("id"))
        .values_list("business_id", "n")
    )
    if sum(ready.values()) <= settings.MONTH_END_INLINE_MAX:
        return [_publish_ready(user, business) for business in clients]
    # Too many for one request (hundreds of clients, thousands of items): a task per client queues them, and the
    # answer says how many it hands over. Each task checks the user's access again when it runs.
    from publishing.tasks import month_end_publish_client

    answer = []
    for business in clients:
        count = ready.get(business.pk, 0)
        if count:
            transaction.on_commit(
                lambda business=business: month_end_publish_client.delay(str(user.pk), str(business.pk))
            )
        answer.append(ClientPublished(business=business, queued=count, in_background=bool(count)))
    return answer


def _publish_ready(user: User, business: Business) -> ClientPublished:
    done = ClientPublished(business=business)
    ids = list(
        Item.objects.for_business(business)
        .filter(READY_TO_PUBLISH)
        .order_by("created_at", "id")
        .values_list("id", flat=True)
    )
    for start in range(0, len(ids), PUBLISH_CHUNK):
        result = items_publish(
            business=business, item_ids=ids[start : start + PUBLISH_CHUNK], actor=user, queue="publish_bulk"
        )
        done.queued += result.updated
        done.refused += len(result.errors)
    return done
