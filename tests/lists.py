"""Ledger lists for tests that make connections without a real sync (the ``connect`` fixture): a small chart,
tax rates and payment accounts holding every code and name the tests code items with, stored as a finished sync
would leave them. Codes are Xero's (a UK organisation: account codes, VAT TaxTypes), so that a Xero connection's
items are coded as Xero would take them."""

from __future__ import annotations

import contextlib
from decimal import Decimal

from django.utils import timezone

from integrations.lists.models import ConnectionLists, ListEntry, ListKind, ListSyncStatus
from integrations.lists.sync import list_counts
from integrations.providers.document import Coding

A, T, P, S = ListKind.ACCOUNTS, ListKind.TAX_RATES, ListKind.PAYMENT_ACCOUNTS, ListKind.PRODUCTS

# (kind, code, name, type, usage, rate, active)
STANDARD = [
    (A, "200", "Sales", "REVENUE", "sales", None, True),
    (A, "260", "Other Revenue", "REVENUE", "sales", None, True),
    (A, "400", "Advertising", "EXPENSE", "purchases", None, True),
    (A, "425", "Freight", "EXPENSE", "purchases", None, True),
    (A, "429", "General Expenses", "EXPENSE", "purchases", None, True),
    (A, "445", "Light, Power, Heating", "EXPENSE", "purchases", None, True),
    (A, "461", "Printing & Stationery", "EXPENSE", "purchases", None, True),
    (A, "485", "Subscriptions", "EXPENSE", "purchases", None, True),
    (A, "20", "Office Expenses", "EXPENSE", "purchases", None, True),
    (A, "", "Office Supplies", "EXPENSE", "purchases", None, True),
    (A, "", "Utilities", "EXPENSE", "purchases", None, True),
    (A, "", "Old", "EXPENSE", "purchases", None, True),
    (A, "", "New", "EXPENSE", "purchases", None, True),
    (A, "477", "Salaries", "EXPENSE", "purchases", None, False),  # archived in the ledger
    (T, "INPUT2", "20% (VAT on Expenses)", "", "purchases", Decimal("20"), True),
    (T, "OUTPUT2", "20% (VAT on Income)", "", "sales", Decimal("20"), True),
    (T, "RRINPUT", "5% (VAT on Expenses)", "", "purchases", Decimal("5"), True),
    (T, "NONE", "No VAT", "", "", Decimal("0"), True),
    (T, "INPUT", "17.5% (old VAT)", "", "purchases", Decimal("17.5"), False),  # Xero's archived 17.5% type
    (P, "", "Bank transfer", "BANK", "", None, True),
    (P, "", "Business Bank Account", "BANK", "", None, True),
    (P, "", "Company card", "CREDITCARD", "", None, True),
    (P, "", "Card", "CREDITCARD", "", None, True),
    (S, "", "Services", "Service", "sales", None, True),
    (S, "", "Consulting", "Service", "sales", None, True),
]


def seed_lists(connection, rows=STANDARD) -> None:
    """Store ``rows`` of the lists the connection's provider keeps as its lists, and its sync as finished."""
    from integrations.providers import registry

    kept = set(registry.get(connection.provider).list_kinds)
    rows = [row for row in rows if row[0] in kept]
    now = timezone.now()
    ListEntry.objects.bulk_create(
        [
            ListEntry(
                business_id=connection.business_id,
                connection=connection,
                kind=kind,
                external_id=f"{connection.pk.hex[:8]}-{kind}-{code or name}",
                code=code,
                name=name,
                kind_detail=kind_detail,
                usage=usage,
                rate=rate,
                active=active,
                seen_at=now,
            )
            for kind, code, name, kind_detail, usage, rate, active in rows
        ],
        ignore_conflicts=True,
    )
    ConnectionLists.objects.for_business(connection.business_id).update_or_create(
        connection=connection,
        defaults={
            "business_id": connection.business_id,
            "status": ListSyncStatus.READY,
            "synced_at": now,
            "counts": list_counts(connection=connection),
            "progress": {},
        },
    )


def entry(connection, kind: ListKind, code_or_name: str) -> ListEntry:
    rows = ListEntry.objects.for_business(connection.business_id).filter(connection=connection, kind=kind)
    return rows.filter(code=code_or_name).first() or rows.get(name=code_or_name)


def sync(connection, *, full: bool = True, begin: bool = True, steps: int = 200) -> None:
    """The list sync's engine, step after step against the sandbox, until the run ends (no rate-limit slot); at most
    ``steps`` steps. ``begin``: start a run first (else continue the one begun)."""
    from integrations.lists.sync import lists_sync_begin, lists_sync_step
    from integrations.providers import registry

    provider = registry.get(connection.provider)
    if begin:
        lists_sync_begin(connection=connection, full=full)
    for _ in range(steps):
        step = lists_sync_step(
            connection=connection, source=provider.list_source(connection), slot=contextlib.nullcontext
        )
        if step.again is None:
            return
    raise AssertionError(f"the list sync of {connection.provider} did not end")


def entries(connection, kind: str):
    return ListEntry.objects.for_business(connection.business_id).filter(connection=connection, kind=kind)


def coding(connection, kind: str, name: str) -> Coding:
    """The entry of a synced list whose name (or code) is ``name``, as the worker hands it to the client."""
    rows = entries(connection, kind)
    row = rows.filter(name=name).first() or rows.get(code=name)
    return Coding(external_id=row.external_id, code=row.code, name=row.name, extra=row.extra)
