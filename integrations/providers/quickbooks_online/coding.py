"""A document's coding as QuickBooks Online takes it: the ledger's own ids from the connection's lists.

- ``AccountRef`` is the category's account id (``category_ref``); a Purchase's ``AccountRef`` the account it was
  paid from (``payment_account_ref``), whose type gives the ``PaymentType`` (Bank: Cash, Credit Card: CreditCard).
- Outside the US every line carries ``TaxCodeRef`` (``tax_rate_ref``), the transaction ``GlobalTaxCalculation``
  ``TaxExcluded``: lines are net and ``TxnTaxDetail.TotalTax`` is the item's tax. In the US, expense lines carry no
  tax code; sales lines ``TAX``/``NON``, and a sales tax code goes on ``TxnTaxDetail.TxnTaxCodeRef``.
- A sale's line is a product or service (``ItemRef``): the document's ``product_ref`` when it has one, else the
  company's product that sells into the category's income account.
- A document in another currency than the company's carries ``CurrencyRef`` and QuickBooks' own ``ExchangeRate``
  for its date; its vendor or customer must be in that currency.

Until every document comes with its refs, a category or tax rate given as text is matched against the company's
accounts and tax codes (by number, id or name), never against a fixed id; what matches nothing is the document's
own error, naming the list to choose from.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property

from integrations.providers.base import ValidationError
from integrations.providers.document import Coding, PublishDocument
from integrations.providers.quickbooks_online.endpoints import MINOR_VERSION

CENT = Decimal("0.01")
SELLABLE = ("Service", "NonInventory", "Inventory")
PAYMENT_TYPES = {"Bank": "Cash", "Credit Card": "CreditCard"}


def money(value: Decimal) -> float:
    return float(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


@dataclass(frozen=True)
class CompanyFacts:
    country: str
    currency: str
    multicurrency: bool

    @property
    def is_us(self) -> bool:
        return self.country in ("US", "USA", "")

    @property
    def tax_word(self) -> str:
        return {"GB": "VAT", "UK": "VAT", "IE": "VAT", "AU": "GST", "CA": "sales tax"}.get(self.country, "tax")


@dataclass(frozen=True)
class Taxation:
    """How one document's lines and totals carry its tax."""

    amount: Decimal  # each line's Amount (net when the tax goes separately)
    line_code: str = ""  # the lines' TaxCodeRef
    detail: dict | None = None  # TxnTaxDetail
    calculation: str = ""  # GlobalTaxCalculation (outside the US)


class Coder:
    """Mixed into the client: the company's facts and lists (cached, shared by a batch), and each part of a body."""

    def _cached_json(self, kind: str, load) -> object:
        return json.loads(self.lookup(kind, "all", lambda: json.dumps(load())))

    @cached_property
    def company(self) -> CompanyFacts:
        def load() -> dict:
            realm = self.connection.external_tenant_id
            params = {"minorversion": MINOR_VERSION}
            info = self.call("GET", self.company_url(f"/companyinfo/{realm}"), params=params).json()
            prefs = self.call("GET", self.company_url("/preferences"), params=params).json().get("Preferences", {})
            currency = prefs.get("CurrencyPrefs") or {}
            return {
                "country": str(info.get("CompanyInfo", {}).get("Country") or "US").upper(),
                "currency": str((currency.get("HomeCurrency") or {}).get("value") or "USD").upper(),
                "multicurrency": bool(currency.get("MultiCurrencyEnabled")),
            }

        return CompanyFacts(**self._cached_json("company", load))

    @cached_property
    def accounts(self) -> list[dict]:
        return self._cached_json(
            "accounts", lambda: self.query("select * from Account MAXRESULTS 1000").get("Account") or []
        )

    @cached_property
    def tax_codes(self) -> list[dict]:
        return self._cached_json(
            "tax_codes", lambda: self.query("select * from TaxCode MAXRESULTS 1000").get("TaxCode") or []
        )

    @cached_property
    def products(self) -> list[dict]:
        return self._cached_json("products", lambda: self.query("select * from Item MAXRESULTS 1000").get("Item") or [])

    # --- the category, the payment account, the product ---

    def account_id(self, doc: PublishDocument) -> str:
        if doc.category_ref is not None:
            return doc.category_ref.external_id
        category = (doc.category or "").strip()
        code, _, name = category.partition(" ")
        for account in self.accounts:
            number = str(account.get("AcctNum") or "")
            names = {str(account.get("Name", "")).lower(), str(account.get("FullyQualifiedName", "")).lower()}
            if (
                (number and number == code)
                or account.get("Id") == code
                or category.lower() in names
                or (name and name.lower() in names)
            ):
                return account["Id"]
        wanted = f" (nothing there matches {category!r})" if category else ""
        raise ValidationError(f"Choose a category from QuickBooks Online's list of accounts{wanted}.")

    def payment(self, doc: PublishDocument) -> tuple[str, str]:
        """A Purchase's ``PaymentType`` and ``AccountRef``."""
        ref = doc.payment_account_ref
        if ref is None:
            raise ValidationError("Choose the account it was paid from in QuickBooks Online's list of bank and cards.")
        kind = (ref.extra or {}).get("account_type") or next(
            (a.get("AccountType") for a in self.accounts if a.get("Id") == ref.external_id), ""
        )
        if kind not in PAYMENT_TYPES:
            raise ValidationError(
                f"{ref.name or ref.external_id} is not a bank or credit card account in QuickBooks Online."
            )
        return PAYMENT_TYPES[kind], ref.external_id

    def product_id(self, doc: PublishDocument, income_account: str) -> str:
        product: Coding | None = getattr(doc, "product_ref", None)
        if product is not None:
            return product.external_id
        selling = sorted(
            (
                p
                for p in self.products
                if p.get("Type") in SELLABLE
                and p.get("Active", True)
                and (p.get("IncomeAccountRef") or {}).get("value") == income_account
            ),
            key=lambda p: (str(p.get("Name", "")).lower(), p.get("Id")),
        )
        if not selling:
            account = doc.category_ref.name if doc.category_ref else doc.category
            raise ValidationError(
                f"Choose a product or service from QuickBooks Online's list: none sells into the account {account!r}."
            )
        return selling[0]["Id"]

    # --- tax ---

    def _tax_code(self, doc: PublishDocument) -> Coding | None:
        if doc.tax_rate_ref is not None:
            return doc.tax_rate_ref
        wanted = (doc.tax_rate or "").strip().lower()
        if not wanted:
            return None
        for code in self.tax_codes:
            if wanted in (str(code.get("Name", "")).lower(), str(code.get("Id", "")).lower()):
                return Coding(external_id=code["Id"], code=code.get("Name", ""), name=code.get("Name", ""))
        raise ValidationError(
            f"Choose a {self.company.tax_word} rate from QuickBooks Online's list ({doc.tax_rate!r} is not one)."
        )

    def _known_tax(self, doc: PublishDocument, code: Coding) -> Decimal | None:
        if doc.tax is not None:
            return Decimal(doc.tax)
        rate = (code.extra or {}).get("rate")
        if rate in (None, ""):
            return None  # QuickBooks works it out from the code
        rate = Decimal(str(rate))
        return (Decimal(doc.total) * rate / (100 + rate)).quantize(CENT, rounding=ROUND_HALF_UP)

    def taxation(self, doc: PublishDocument, *, sales: bool) -> Taxation:
        facts = self.company
        if facts.is_us:
            if not sales:
                return Taxation(amount=Decimal(doc.total))
            code = self._tax_code(doc)
            if code is None or code.external_id == "NON":
                return Taxation(amount=Decimal(doc.total), line_code=code.external_id if code else "")
            tax = Decimal(doc.tax) if doc.tax is not None else None
            detail = {} if code.external_id == "TAX" else {"TxnTaxCodeRef": {"value": code.external_id}}
            if tax is None:
                return Taxation(amount=Decimal(doc.total), line_code="TAX", detail=detail or None)
            return Taxation(amount=Decimal(doc.total) - tax, line_code="TAX", detail={**detail, "TotalTax": money(tax)})
        code = self._tax_code(doc)
        if code is None:
            raise ValidationError(f"Choose a {facts.tax_word} rate from QuickBooks Online's list.")
        tax = self._known_tax(doc, code)
        if tax is None:
            return Taxation(amount=Decimal(doc.total), line_code=code.external_id, calculation="TaxExcluded")
        return Taxation(
            amount=Decimal(doc.total) - tax,
            line_code=code.external_id,
            detail={"TotalTax": money(tax)},
            calculation="TaxExcluded",
        )

    # --- currency ---

    def currency_of(self, doc: PublishDocument) -> str:
        currency = (doc.currency or self.company.currency).upper()
        if currency != self.company.currency and not self.company.multicurrency:
            raise ValidationError(
                f"This item is in {currency} and QuickBooks Online's multicurrency is off (the company keeps "
                f"{self.company.currency}): turn it on in QuickBooks Online, or change the item's currency."
            )
        return currency

    def currency_fields(self, doc: PublishDocument, currency: str, contact_currency: str, contact: str) -> dict:
        """``CurrencyRef`` and ``ExchangeRate`` of a document in another currency than the company's."""
        if contact_currency and contact_currency != currency:
            raise ValidationError(
                f"{contact} is a {contact_currency} contact in QuickBooks Online and this item is in {currency}: "
                f"QuickBooks takes one currency per contact."
            )
        if currency == self.company.currency:
            return {}
        return {"CurrencyRef": {"value": currency}, "ExchangeRate": self.exchange_rate(currency, doc.date.isoformat())}

    def exchange_rate(self, currency: str, on: str) -> float:
        def load() -> str:
            params = {"sourcecurrencycode": currency, "asofdate": on, "minorversion": MINOR_VERSION}
            answer = self.call("GET", self.company_url("/exchangerate"), params=params).json()
            return str(answer.get("ExchangeRate", {}).get("Rate") or "")

        rate = self.lookup("exchange_rate", f"{currency} {on}", load)
        if not rate:
            raise ValidationError(f"QuickBooks Online has no exchange rate for {currency} on {on}.")
        return float(rate)
