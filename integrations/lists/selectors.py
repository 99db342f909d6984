"""Reads of the ledgers' lists: the pickers' searches and the matches that code an item."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Lower

from integrations.lists.models import ListEntry, ListKind
from integrations.models import Connection


def list_entries(
    *, connection: Connection, kind: ListKind, q: str = "", active: bool | None = None, usage: str = ""
) -> QuerySet[ListEntry]:
    """One list of one connection, by name; ``q`` finds a code or a name that starts with it first, then names that
    hold it anywhere; ``usage`` keeps entries for purchases or sales (and those for both)."""
    rows = ListEntry.objects.for_business(connection.business_id).filter(connection=connection, kind=kind)
    if active is not None:
        rows = rows.filter(active=active)
    if usage:
        rows = rows.filter(usage__in=(usage, ""))
    q = " ".join(q.split())
    if not q:
        return rows.order_by(Lower("name"), "id")
    starts = Q(code__istartswith=q) | Q(name__istartswith=q)
    return (
        rows.filter(starts | Q(name__icontains=q))
        .annotate(rank=Case(When(starts, then=Value(0)), default=Value(1), output_field=IntegerField()))
        .order_by("rank", Lower("name"), "id")
    )


def entry_get(*, connection: Connection, kind: ListKind, entry_id) -> ListEntry | None:
    return (
        ListEntry.objects.for_business(connection.business_id).filter(connection=connection, kind=kind).by_id(entry_id)
    )


def entry_match(*, connection: Connection, kind: ListKind, text: str) -> ListEntry | None:
    """The active entry that ``text`` names: the same code, else the same name, case and spacing aside. How
    coding is carried from one ledger to another (DESIGN.md §9), and how the API reads a category given as text."""
    text = " ".join((text or "").split())
    if not text:
        return None
    rows = ListEntry.objects.for_business(connection.business_id).filter(connection=connection, kind=kind, active=True)
    by_code = rows.filter(code__iexact=text).order_by("id").first()
    if by_code is not None:
        return by_code
    by_name = rows.filter(name__iexact=text).order_by("id").first()
    if by_name is not None:
        return by_name
    # "429 General Expenses": an account as people write it, its code and its name.
    code, _, name = text.partition(" ")
    if name and kind in (ListKind.ACCOUNTS, ListKind.PAYMENT_ACCOUNTS):
        return rows.filter(code__iexact=code, name__iexact=name).order_by("id").first()
    return None


def entry_carry(*, entry: ListEntry, to: Connection) -> ListEntry | None:
    """The entry of ``to``'s list that stands for ``entry`` of another ledger: same code, else same name."""
    if entry.connection_id == to.pk:
        return entry if entry.active else None
    for text in (entry.code, entry.name):
        found = entry_match(connection=to, kind=entry.kind, text=text) if text else None
        if found is not None and (text == entry.name or found.code.lower() == text.lower()):
            return found
    return None
