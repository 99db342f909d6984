"""QuickBooks Online's lists for the list sync (integrations.lists), one provider call a page.

- A full pass walks ``select * from <Entity> where Active in (true, false) STARTPOSITION n MAXRESULTS 1000``
  (queries answer active entries only unless asked), entity after entity; the page token is ``Entity:n``.
- An incremental pass asks change data capture (``GET …/cdc?entities=…&changedSince=…``) once. It looks back 30 days
  at most and answers 1,000 objects at most: older, or a full answer, and the pass walks the queries instead.
- Tax codes are not in change data capture: their pass is always full: the tax rates first (carried in the page
  token), then the codes (a code's rate is the sum of its rates).

Accounts: id = ``Id``, code = ``AcctNum``; Bank and Credit Card accounts are payment accounts too; receivable and
payable accounts are no category. Tax codes: code = ``Name``; usage from their purchase and sales rate lists (the
US pseudo codes TAX and NON: sales). Contacts: vendors (supplier) and customers. Products: services, non-inventory
and inventory items. Tracking: classes and departments, whose ids are kept as ``Class:<Id>`` / ``Department:<Id>``
(the two lists number their entries on their own).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from integrations.lists.models import ListKind
from integrations.lists.source import Entry, Page, Pass
from integrations.providers.quickbooks_online import endpoints
from integrations.providers.quickbooks_online.endpoints import MINOR_VERSION

PASSES = (
    Pass(fetch=ListKind.ACCOUNTS, gives=(ListKind.ACCOUNTS, ListKind.PAYMENT_ACCOUNTS), incremental=True),
    Pass(fetch=ListKind.TAX_RATES, gives=(ListKind.TAX_RATES,)),
    Pass(fetch=ListKind.CONTACTS, gives=(ListKind.CONTACTS,), incremental=True),
    Pass(fetch=ListKind.PRODUCTS, gives=(ListKind.PRODUCTS,), incremental=True),
    Pass(fetch=ListKind.TRACKING, gives=(ListKind.TRACKING,), incremental=True),
)

ENTITIES = {
    ListKind.ACCOUNTS: ("Account",),
    ListKind.CONTACTS: ("Vendor", "Customer"),
    ListKind.PRODUCTS: ("Item",),
    ListKind.TRACKING: ("Class", "Department"),
}

NOT_CATEGORIES = {"Accounts Receivable", "Accounts Payable", "Non-Posting"}
PAYMENT_ACCOUNT_TYPES = {"Bank", "Credit Card"}
USAGE_BY_CLASSIFICATION = {"Revenue": "sales", "Expense": "purchases"}
SELLABLE = ("Service", "NonInventory", "Inventory")


def _ref_value(row: dict, key: str) -> str:
    return str((row.get(key) or {}).get("value") or "")


def account_entries(row: dict) -> list[Entry]:
    kind = str(row.get("AccountType") or "")
    if kind in NOT_CATEGORIES:
        return []
    fields = {
        "external_id": str(row["Id"]),
        "code": str(row.get("AcctNum") or ""),
        "name": str(row.get("FullyQualifiedName") or row.get("Name") or ""),
        "kind_detail": kind,
        "active": row.get("Active", True) is not False,
        "extra": {
            "account_type": kind,
            "account_sub_type": row.get("AccountSubType", ""),
            "classification": row.get("Classification", ""),
            "currency": _ref_value(row, "CurrencyRef"),
        },
    }
    entries = [
        Entry(kind=ListKind.ACCOUNTS, usage=USAGE_BY_CLASSIFICATION.get(row.get("Classification"), ""), **fields)
    ]
    if kind in PAYMENT_ACCOUNT_TYPES:
        entries.append(Entry(kind=ListKind.PAYMENT_ACCOUNTS, usage="purchases", **fields))
    return entries


def tax_entries(code: dict, rates: dict[str, Decimal]) -> list[Entry]:
    def listed(key: str) -> list[str]:
        return [_ref_value(d, "TaxRateRef") for d in (code.get(key) or {}).get("TaxRateDetail") or []]

    sales, purchases = listed("SalesTaxRateList"), listed("PurchaseTaxRateList")
    if sales and purchases:
        usage = ""
    elif purchases:
        usage = "purchases"
    else:
        usage = "sales"  # sales rates only, or the US pseudo codes TAX and NON
    used = sales or purchases
    rate = sum((rates[r] for r in used if r in rates), Decimal(0)) if used and all(r in rates for r in used) else None
    name, description = str(code.get("Name") or ""), str(code.get("Description") or "")
    group = code.get("TaxGroup", True) is not False
    return [
        Entry(
            kind=ListKind.TAX_RATES,
            external_id=str(code["Id"]),
            code=name,
            name=f"{name} ({description})" if description and description != name else name,
            kind_detail="group" if group else ("taxable" if code.get("Taxable") else "non-taxable"),
            usage=usage,
            rate=rate,
            active=code.get("Active", True) is not False and not code.get("Hidden"),
            extra={
                "description": description,
                "rate": "" if rate is None else str(rate),
                "taxable": code.get("Taxable"),
            },
        )
    ]


def name_entries(entity: str, row: dict) -> list[Entry]:
    return [
        Entry(
            kind=ListKind.CONTACTS,
            external_id=str(row["Id"]),
            name=str(row.get("DisplayName") or row.get("CompanyName") or ""),
            kind_detail="supplier" if entity == "Vendor" else "customer",
            usage="purchases" if entity == "Vendor" else "sales",
            active=row.get("Active", True) is not False,
            extra={"entity": entity, "currency": _ref_value(row, "CurrencyRef")},
        )
    ]


def product_entries(row: dict) -> list[Entry]:
    if row.get("Type") not in SELLABLE:
        return []
    income, expense = _ref_value(row, "IncomeAccountRef"), _ref_value(row, "ExpenseAccountRef")
    return [
        Entry(
            kind=ListKind.PRODUCTS,
            external_id=str(row["Id"]),
            code=str(row.get("Sku") or ""),
            name=str(row.get("FullyQualifiedName") or row.get("Name") or ""),
            kind_detail=str(row.get("Type")),
            usage="" if income and expense else ("sales" if income else "purchases"),
            active=row.get("Active", True) is not False,
            extra={"income_account": income, "expense_account": expense},
        )
    ]


def tracking_entries(entity: str, row: dict) -> list[Entry]:
    return [
        Entry(
            kind=ListKind.TRACKING,
            external_id=f"{entity}:{row['Id']}",
            name=str(row.get("FullyQualifiedName") or row.get("Name") or ""),
            kind_detail=entity,
            active=row.get("Active", True) is not False,
            extra={"entity": entity, "id": str(row["Id"])},
        )
    ]


def entries_of(entity: str, row: dict) -> list[Entry]:
    if row.get("status") == "Deleted" or "Id" not in row:
        return []  # a deleted object comes as its id alone: the next full pass marks it gone
    if entity == "Account":
        return account_entries(row)
    if entity in ("Vendor", "Customer"):
        return name_entries(entity, row)
    if entity == "Item":
        return product_entries(row)
    return tracking_entries(entity, row)


class ListFetcher:
    """Mixed into the client: ``passes`` and ``fetch`` (integrations.lists.source.ListSource)."""

    passes = PASSES

    def fetch(self, kind: ListKind, *, page: str | None, since: datetime | None) -> Page:
        kind = ListKind(kind)
        if kind == ListKind.TAX_RATES:
            return self._tax_page(page)
        entities = ENTITIES[kind]
        if page is None and since is not None:
            if since > timezone.now() - timedelta(days=endpoints.CDC_MAX_DAYS - 1):
                return self._changes(entities, since)
            page = f"{entities[0]}:1"  # too far back for change data capture: walk everything
        entity, _, start = (page or f"{entities[0]}:1").partition(":")
        return self._query_page(entities, entity, int(start or 1))

    def _query_page(self, entities: tuple[str, ...], entity: str, start: int) -> Page:
        size = endpoints.QUERY_PAGE_SIZE
        statement = f"select * from {entity} where Active in (true, false) STARTPOSITION {start} MAXRESULTS {size}"  # noqa: S608 - a fixed entity name
        rows = self.query(statement).get(entity) or []
        entries = [e for row in rows for e in entries_of(entity, row)]
        if len(rows) >= size:
            return Page(entries=entries, next=f"{entity}:{start + size}")
        following = entities.index(entity) + 1
        return Page(entries=entries, next=f"{entities[following]}:1" if following < len(entities) else None)

    def _changes(self, entities: tuple[str, ...], since: datetime) -> Page:
        params = {
            "entities": ",".join(entities),
            "changedSince": since.isoformat(timespec="seconds"),
            "minorversion": MINOR_VERSION,
        }
        answer = self.call("GET", self.company_url("/cdc"), params=params).json()
        entries, count = [], 0
        for response in answer.get("CDCResponse") or []:
            for group in response.get("QueryResponse") or []:
                for entity in entities:
                    for row in group.get(entity) or []:
                        count += 1
                        entries.extend(entries_of(entity, row))
        if count >= endpoints.CDC_MAX_OBJECTS:  # a full answer may have left changes out: walk everything
            return Page(entries=entries, next=f"{entities[0]}:1")
        return Page(entries=entries)

    def _tax_page(self, page: str | None) -> Page:
        """First the tax rates (one query; a company has far fewer than 1,000), carried in the page token, then the
        tax codes page by page, each with the rates it adds up."""
        if page is None:
            rows = self.query("select * from TaxRate MAXRESULTS 1000").get("TaxRate") or []
            rates = {str(r["Id"]): str(r.get("RateValue") or 0) for r in rows}
            return Page(entries=[], next=json.dumps({"start": 1, "rates": rates}))
        state = json.loads(page)
        start, rates = int(state["start"]), {k: Decimal(v) for k, v in state["rates"].items()}
        size = endpoints.QUERY_PAGE_SIZE
        statement = f"select * from TaxCode where Active in (true, false) STARTPOSITION {start} MAXRESULTS {size}"  # noqa: S608
        rows = self.query(statement).get("TaxCode") or []
        entries = [e for row in rows for e in tax_entries(row, rates)]
        following = json.dumps({"start": start + size, "rates": state["rates"]}) if len(rows) >= size else None
        return Page(entries=entries, next=following)
