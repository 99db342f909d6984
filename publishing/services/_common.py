"""What several publishing services share: reading one item for a write, its history rows, a live connection."""

from __future__ import annotations

from accounts.models import Business, User
from dext_connections.errors import ApplicationError, NotFound
from integrations.models import LIVE_STATUSES, Connection
from publishing.fields import CODING_ENTRY
from publishing.models import Item, ItemHistory

CODING_ENTRIES = tuple(CODING_ENTRY.values())  # what an item's coding and its problems read


def history_entry(item: Item, actor: User | None, field: str, before, after, reason: str = "") -> ItemHistory:
    return ItemHistory(
        business_id=item.business_id,
        item=item,
        actor=actor if actor is not None and actor.is_authenticated else None,
        field=field,
        before="" if before is None else str(before),
        after="" if after is None else str(after),
        reason=reason[:255],
    )


def item_get(*, business: Business, item_id) -> Item:
    item = (
        Item.objects.for_business(business)
        .select_related("supplier", "customer", "integration", "integration_chosen_by", *CODING_ENTRIES)
        .by_id(item_id)
    )
    if item is None:
        raise NotFound("No such item.")
    return item


def live_connection(business: Business, connection_id) -> Connection:
    connection = Connection.objects.for_business(business).filter(status__in=LIVE_STATUSES).by_id(connection_id)
    if connection is None:
        raise ApplicationError("invalid_connection", "That is not a connection of this business.")
    return connection
