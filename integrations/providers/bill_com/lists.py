"""Bill.com's lists for the list sync (integrations.lists), one provider call a page.

Every v3 list answers ``{"results", "nextPage", "prevPage"}``: up to ``max`` (20 by default, 100 at most) results,
and an opaque ``nextPage`` token handed back as ``page`` for the next ones (developer.bill.com/docs/search-op-with-
lists). Archived entries are listed too: they come in inactive.

- Accounts: ``GET /v3/classifications/chart-of-accounts``; id = ``id``, code = ``account.number``, type =
  ``account.type`` (EXPENSE, INCOME, BANK, CREDIT_CARD…). Receivable, payable and non-posting accounts are no
  category. Bill.com's chart is the customer's ledger's, usually synced into Bill.com by Bill.com itself.
- Contacts: ``GET /v3/vendors`` (suppliers).
- Tracking: accounting classes, departments and locations (``GET /v3/classifications/<list>``), kept as
  ``<list>:<id>`` (the lists number their entries on their own); the page token is ``<list>|<nextPage>``.
- Incremental: ``filters=updatedTime:gt:"<time>"`` (a documented filter of each of these lists); archiving an entry
  changes it, so an incremental pass sees it go inactive. Deletions show in the full pass.

Bill.com keeps no tax rates (a bill carries its tax in its amounts) and no payment accounts of ours to choose.
"""

from __future__ import annotations

from datetime import UTC, datetime

from integrations.lists.models import ListKind
from integrations.lists.source import Entry, Page, Pass
from integrations.providers.bill_com.endpoints import LIST_PAGE_SIZE

PASSES = (
    Pass(fetch=ListKind.ACCOUNTS, gives=(ListKind.ACCOUNTS,), incremental=True),
    Pass(fetch=ListKind.CONTACTS, gives=(ListKind.CONTACTS,), incremental=True),
    Pass(fetch=ListKind.TRACKING, gives=(ListKind.TRACKING,), incremental=True),
)

CHART = "/classifications/chart-of-accounts"
TRACKING_LISTS = {
    "accounting-classes": "Accounting class",
    "departments": "Department",
    "locations": "Location",
}
NOT_CATEGORIES = {"ACCOUNTS_RECEIVABLE", "ACCOUNTS_PAYABLE", "NON_POSTING"}
USAGE = {
    "INCOME": "sales",
    "OTHER_INCOME": "sales",
    "EXPENSE": "purchases",
    "OTHER_EXPENSE": "purchases",
    "COST_OF_GOODS_SOLD": "purchases",
}


def since_filter(since: datetime) -> str:
    moment = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{since.microsecond // 1000:03d}Z"
    return f'updatedTime:gt:"{moment}"'


def account_entries(row: dict) -> list[Entry]:
    account = row.get("account") or {}
    kind = str(account.get("type") or "")
    if kind in NOT_CATEGORIES:
        return []
    return [
        Entry(
            kind=ListKind.ACCOUNTS,
            external_id=str(row["id"]),
            code=str(account.get("number") or ""),
            name=str(row.get("name") or ""),
            kind_detail=kind,
            usage=USAGE.get(kind, ""),
            active=not row.get("archived"),
            extra={"account_type": kind, "parent_id": str(row.get("parentId") or "")},
        )
    ]


def vendor_entries(row: dict) -> list[Entry]:
    return [
        Entry(
            kind=ListKind.CONTACTS,
            external_id=str(row["id"]),
            name=str(row.get("name") or ""),
            kind_detail="supplier",
            usage="purchases",
            active=not row.get("archived"),
            extra={"currency": str(row.get("billCurrency") or "")},
        )
    ]


def tracking_entries(list_name: str, row: dict) -> list[Entry]:
    return [
        Entry(
            kind=ListKind.TRACKING,
            external_id=f"{list_name}:{row['id']}",
            name=str(row.get("name") or ""),
            kind_detail=TRACKING_LISTS[list_name],
            active=not row.get("archived"),
            extra={"list": list_name, "id": str(row["id"])},
        )
    ]


class ListFetcher:
    """Mixed into the client: ``passes`` and ``fetch`` (integrations.lists.source.ListSource)."""

    passes = PASSES

    def list_page(self, path: str, *, page: str | None, since: datetime | None) -> tuple[list[dict], str | None]:
        params: dict = {"max": LIST_PAGE_SIZE}
        if page:
            params["page"] = page
        if since is not None:
            params["filters"] = since_filter(since)
        answer = self.call("GET", path, params=params).json()
        rows = [row for row in answer.get("results") or [] if isinstance(row, dict) and row.get("id")]
        return rows, answer.get("nextPage") or None

    def fetch(self, kind: ListKind, *, page: str | None, since: datetime | None) -> Page:
        kind = ListKind(kind)
        if kind == ListKind.TRACKING:
            return self._tracking_page(page, since)
        path, read = (CHART, account_entries) if kind == ListKind.ACCOUNTS else ("/vendors", vendor_entries)
        rows, following = self.list_page(path, page=page, since=since)
        return Page(entries=[e for row in rows for e in read(row)], next=following)

    def _tracking_page(self, page: str | None, since: datetime | None) -> Page:
        names = list(TRACKING_LISTS)
        list_name, _, token = (page or f"{names[0]}|").partition("|")
        rows, following = self.list_page(f"/classifications/{list_name}", page=token or None, since=since)
        entries = [e for row in rows for e in tracking_entries(list_name, row)]
        if following:
            return Page(entries=entries, next=f"{list_name}|{following}")
        position = names.index(list_name) + 1
        return Page(entries=entries, next=f"{names[position]}|" if position < len(names) else None)
