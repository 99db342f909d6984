"""Readiness: which of an item's fields are still missing before it can be published, and the state that follows.

Read by the item services and by the publish pipeline (which refuses an item that is not ready).
"""

from __future__ import annotations

from publishing.models import UNPUBLISHED_STATES, Item, ItemKind, ItemState

READY_FIELDS = ("contact", "date", "total", "category")


def item_missing_fields(item: Item) -> list[str]:
    missing = []
    if item.contact is None:
        missing.append("customer" if item.kind == ItemKind.SALES else "supplier")
    for name in ("date", "total", "category"):
        if getattr(item, name) in (None, ""):
            missing.append(name)
    return missing


def refresh_state(item: Item) -> None:
    if item.state in UNPUBLISHED_STATES:
        item.state = ItemState.TO_REVIEW if item_missing_fields(item) else ItemState.READY
