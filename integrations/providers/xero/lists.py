"""Xero's lists for the list sync (integrations.lists), one provider call a page.

- Accounts: ``GET /Accounts`` (the whole chart in one answer; ``If-Modified-Since`` for what changed). An account is
  a category by its ``AccountID``, with its ``Code`` (Xero's lines name an account by code; an account without one
  by its AccountID). ``Class`` REVENUE is for sales, EXPENSE for purchases. Bank accounts (``Type`` BANK, credit
  cards among them with ``BankAccountType`` CREDITCARD) are the payment accounts (a line may not use them); system
  accounts (receivables, payables, VAT…) are neither.
- Tax rates: ``GET /TaxRates`` (always in full; Xero honours no ``If-Modified-Since`` there): ``TaxType`` is the
  code lines carry; ``CanApplyToExpenses`` / ``CanApplyToRevenue`` give the usage.
- Contacts: ``GET /Contacts?page=n&includeArchived=true`` (100 a page; ``If-Modified-Since`` for what changed);
  ``IsSupplier`` / ``IsCustomer`` give the kind; an ARCHIVED contact is inactive.
- Tracking: ``GET /TrackingCategories?includeArchived=true``, an entry per option ("Region: North"), keyed by the
  option's id.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from integrations.lists.models import ListKind
from integrations.lists.source import Entry, Page, Pass

PASSES = (
    Pass(fetch=ListKind.ACCOUNTS, gives=(ListKind.ACCOUNTS, ListKind.PAYMENT_ACCOUNTS), incremental=True),
    Pass(fetch=ListKind.TAX_RATES, gives=(ListKind.TAX_RATES,)),
    Pass(fetch=ListKind.CONTACTS, gives=(ListKind.CONTACTS,), incremental=True),
    Pass(fetch=ListKind.TRACKING, gives=(ListKind.TRACKING,)),
)

CONTACTS_PAGE_SIZE = 100  # Xero's page of contacts
USAGE_BY_CLASS = {"REVENUE": "sales", "EXPENSE": "purchases"}


def modified_since(since: datetime) -> str:
    """Xero's ``If-Modified-Since``: a UTC time, ``2030-01-05T10:00:00``."""
    return since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def account_entries(row: dict) -> list[Entry]:
    if row.get("SystemAccount") or not row.get("AccountID"):
        return []
    kind = str(row.get("Type") or "")
    fields = {
        "external_id": str(row["AccountID"]),
        "code": str(row.get("Code") or ""),
        "name": str(row.get("Name") or ""),
        "active": row.get("Status", "ACTIVE") == "ACTIVE",
        "extra": {
            "type": kind,
            "class": row.get("Class", ""),
            "tax_type": row.get("TaxType", ""),
            "bank_account_type": row.get("BankAccountType", ""),
            "currency": row.get("CurrencyCode", ""),
        },
    }
    if kind == "BANK":
        detail = "CREDITCARD" if row.get("BankAccountType") == "CREDITCARD" else "BANK"
        return [Entry(kind=ListKind.PAYMENT_ACCOUNTS, kind_detail=detail, **fields)]
    usage = USAGE_BY_CLASS.get(str(row.get("Class") or ""), "")
    return [Entry(kind=ListKind.ACCOUNTS, kind_detail=kind, usage=usage, **fields)]


def _rate(value) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def tax_entries(row: dict) -> list[Entry]:
    if not row.get("TaxType"):
        return []
    expenses, revenue = bool(row.get("CanApplyToExpenses")), bool(row.get("CanApplyToRevenue"))
    usage = "" if expenses == revenue else ("purchases" if expenses else "sales")
    return [
        Entry(
            kind=ListKind.TAX_RATES,
            external_id=str(row["TaxType"]),
            code=str(row["TaxType"]),
            name=str(row.get("Name") or row["TaxType"]),
            kind_detail=str(row.get("ReportTaxType") or ""),
            usage=usage,
            rate=_rate(row.get("EffectiveRate")),
            active=row.get("Status", "ACTIVE") == "ACTIVE",
        )
    ]


def contact_entries(row: dict) -> list[Entry]:
    if not row.get("ContactID"):
        return []
    supplier, customer = bool(row.get("IsSupplier")), bool(row.get("IsCustomer"))
    if supplier != customer:
        detail, usage = ("supplier", "purchases") if supplier else ("customer", "sales")
    else:
        detail, usage = "", ""
    return [
        Entry(
            kind=ListKind.CONTACTS,
            external_id=str(row["ContactID"]),
            name=str(row.get("Name") or ""),
            kind_detail=detail,
            usage=usage,
            active=row.get("ContactStatus", "ACTIVE") == "ACTIVE",
        )
    ]


def tracking_entries(category: dict) -> list[Entry]:
    name, active = str(category.get("Name") or ""), category.get("Status", "ACTIVE") == "ACTIVE"
    return [
        Entry(
            kind=ListKind.TRACKING,
            external_id=str(option["TrackingOptionID"]),
            name=f"{name}: {option.get('Name') or ''}",
            kind_detail=name,
            active=active and option.get("Status", "ACTIVE") == "ACTIVE",
            extra={
                "category_id": category.get("TrackingCategoryID", ""),
                "category": name,
                "option": option.get("Name") or "",
            },
        )
        for option in category.get("Options") or []
        if option.get("TrackingOptionID")
    ]


class ListFetcher:
    """Mixed into the client: ``passes`` and ``fetch`` (integrations.lists.source.ListSource)."""

    passes = PASSES

    def fetch(self, kind: ListKind, *, page: str | None, since: datetime | None) -> Page:
        kind = ListKind(kind)
        headers = {"If-Modified-Since": modified_since(since)} if since is not None else {}
        if kind == ListKind.ACCOUNTS:
            rows = self.call("GET", self.api("/Accounts"), headers=headers).json().get("Accounts") or []
            return Page(entries=[e for row in rows for e in account_entries(row)])
        if kind == ListKind.TAX_RATES:
            rows = self.call("GET", self.api("/TaxRates")).json().get("TaxRates") or []
            return Page(entries=[e for row in rows for e in tax_entries(row)])
        if kind == ListKind.CONTACTS:
            number = int(page or 1)
            params = {"page": number, "includeArchived": "true"}
            rows = self.call("GET", self.api("/Contacts"), params=params, headers=headers).json().get("Contacts") or []
            following = str(number + 1) if len(rows) >= CONTACTS_PAGE_SIZE else None
            return Page(entries=[e for row in rows for e in contact_entries(row)], next=following)
        if kind == ListKind.TRACKING:
            params = {"includeArchived": "true"}
            rows = self.call("GET", self.api("/TrackingCategories"), params=params).json().get("TrackingCategories")
            return Page(entries=[e for row in rows or [] for e in tracking_entries(row)])
        raise ValueError(f"Xero keeps no {kind.label} list.")
