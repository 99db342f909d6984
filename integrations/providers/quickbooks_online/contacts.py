"""Vendors and customers: found by name, made when missing, never retried forever.

QuickBooks keeps one name space for vendors, customers and employees, inactive ones included (6240 "Duplicate
Name Exists" otherwise), and a query answers active names only unless asked (``Active in (true, false)``). So:

1. Look the name up among the entity's names, inactive ones too; an inactive one is made active again.
2. Else make it (in the item's currency when that is not the company's).
3. A 6240 then means the name is another kind's (a customer's, an employee's) or was made meanwhile: look again,
   then use the name with the kind added ("Acme Ltd (Vendor)"), looked up and made the same way, once.

A name's id and currency are cached together ("id|EUR"; a bare id: currency unknown, QuickBooks will say).
"""

from __future__ import annotations

from dataclasses import dataclass

from integrations.providers.base import ValidationError
from integrations.providers.quickbooks_online.endpoints import MINOR_VERSION

DUPLICATE_NAME = "6240"
DISPLAY_NAME_MAX = 500


@dataclass(frozen=True)
class Name:
    id: str
    currency: str  # "": not known


class FaultRefused(ValidationError):
    """QuickBooks refused a request with a fault; ``codes`` are its error codes."""

    def __init__(self, message: str, codes: set[str]):
        super().__init__(message)
        self.codes = codes


def quoted(value: str) -> str:
    """A value in QuickBooks' query language."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class Names:
    """Mixed into the client: ``contact(entity, name, currency)``."""

    def contact(self, entity: str, name: str, currency: str) -> Name:
        name = " ".join(name.split())[:DISPLAY_NAME_MAX]
        if not name:
            raise ValidationError(f"Give the {'customer' if entity == 'Customer' else 'supplier'} a name.")
        cached = self.lookup(entity, name, lambda: self._found_or_made(entity, name, currency))
        found_id, _, found_currency = cached.partition("|")
        return Name(id=found_id, currency=found_currency)

    def _named(self, entity: str, name: str) -> dict | None:
        statement = f"select * from {entity} where DisplayName = {quoted(name)} and Active in (true, false)"  # noqa: S608 - Intuit's query language, quoted
        rows = self.query(statement).get(entity) or []
        return next((r for r in rows if str(r.get("DisplayName", "")).casefold() == name.casefold()), None)

    def _kept(self, entity: str, row: dict) -> str:
        if row.get("Active") is False:  # made inactive in QuickBooks: make it active again, as a person would
            body = {"Id": row["Id"], "SyncToken": row["SyncToken"], "sparse": True, "Active": True}
            row = self._post(entity, body)
        currency = (row.get("CurrencyRef") or {}).get("value") or self.company.currency
        return f"{row['Id']}|{currency}"

    def _post(self, entity: str, body: dict) -> dict:
        url = self.company_url(f"/{entity.lower()}")
        return self.call("POST", url, params={"minorversion": MINOR_VERSION}, json=body).json()[entity]

    def _make(self, entity: str, name: str, currency: str) -> str:
        body: dict = {"DisplayName": name}
        if currency != self.company.currency:
            body["CurrencyRef"] = {"value": currency}
        return self._kept(entity, self._post(entity, body))

    def _found_or_made(self, entity: str, name: str, currency: str) -> str:
        row = self._named(entity, name)
        if row is not None:
            return self._kept(entity, row)
        try:
            return self._make(entity, name, currency)
        except FaultRefused as refused:
            if DUPLICATE_NAME not in refused.codes:
                raise
        row = self._named(entity, name)  # made meanwhile by another worker
        if row is not None:
            return self._kept(entity, row)
        other = f"{name[: DISPLAY_NAME_MAX - len(entity) - 3]} ({entity})"
        row = self._named(entity, other)
        if row is not None:
            return self._kept(entity, row)
        try:
            return self._make(entity, other, currency)
        except FaultRefused as refused:
            if DUPLICATE_NAME not in refused.codes:
                raise
            raise ValidationError(
                f"QuickBooks Online already uses the names {name!r} and {other!r} for other customers, vendors or "
                f"employees: rename one of them in QuickBooks Online."
            ) from None
