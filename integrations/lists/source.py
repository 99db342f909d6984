"""What a provider hands the list sync: pages of entries, one provider call a page.

A provider's client offers a :class:`ListSource` for its connection. The sync asks it for one page at a time
(holding one of the connection's rate-limit slots for each, the same slots publishing takes), so that a sync that
meets a limit can stop, remember where it was and carry on later.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from integrations.lists.models import ListKind


@dataclass(frozen=True)
class Entry:
    kind: ListKind
    external_id: str
    name: str
    code: str = ""
    kind_detail: str = ""
    usage: str = ""  # "purchases", "sales" or "" (both)
    rate: Decimal | None = None
    active: bool = True
    extra: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    entries: list[Entry]
    next: str | None = None  # the provider's token for the next page; None: this pass is done


@dataclass(frozen=True)
class Pass:
    """One walk through a provider list: ``fetch`` is what is asked for, ``gives`` the lists its entries fill
    (Xero's accounts carry the bank accounts a paid item is paid from, so one pass fills two lists)."""

    fetch: ListKind
    gives: tuple[ListKind, ...]
    incremental: bool = False  # the provider can answer "what changed since" for this list


class ListSource(Protocol):
    passes: tuple[Pass, ...]

    def fetch(self, kind: ListKind, *, page: str | None, since: datetime | None) -> Page:
        """One page of ``kind`` (one provider call); ``since`` asks only for what changed since then."""
