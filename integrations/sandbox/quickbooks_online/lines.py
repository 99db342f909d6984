"""What QuickBooks Online checks in a transaction's references, lines, tax and currency.

- References (``AccountRef``, ``ItemRef``, ``TaxCodeRef``, ``ClassRef``, ``DepartmentRef``, ``VendorRef``, …) name
  an object of the company: unknown → 2500 "Invalid Reference Id", inactive → 610 "Object Not Found".
- Outside the US every line carries a ``TaxCodeRef`` (else 6000, "Make sure all your transactions have a VAT rate
  before you save."), a purchase line's code has purchase rates and a sale's sales rates; ``GlobalTaxCalculation``
  is ``TaxExcluded`` (default), ``TaxInclusive`` or ``NotApplicable``. In the US, lines take ``TAX`` or ``NON``
  (sales) and the transaction's ``TxnTaxDetail.TxnTaxCodeRef`` a sales tax code; expense lines need none.
- A transaction is in its ``CurrencyRef`` (else the home currency); its vendor's or customer's currency must be
  that one (6000).
"""

from dataclasses import dataclass
from decimal import Decimal

from integrations.sandbox.models import Organisation
from integrations.sandbox.quickbooks_online.api import (
    Call,
    intuit_fault,
    invalid_reference,
    not_found,
    required_missing,
)
from integrations.sandbox.quickbooks_online.companies import Company, company_of
from integrations.sandbox.quickbooks_online.reference import FIXED_LISTS, contacts_of, fixed_row
from integrations.sandbox.values import cents, number, to_decimal

TAX_CALCULATIONS = ("TaxExcluded", "TaxInclusive", "NotApplicable")
SELLABLE = ("Service", "NonInventory", "Inventory")
REF_LABEL = {"Account": "Accounts", "TaxCode": "TaxCode", "Item": "Item", "Class": "Class", "Department": "Department"}


def business_error(detail: str, element: str = "") -> Exception:
    return intuit_fault(
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {detail}",
        "6000",
        element=element,
    )


def ref(call: Call, given, entity: str, name: str, *, required: bool = True) -> dict | None:
    """A reference to one of the company's objects, as QuickBooks answers it (``{"value", "name"}``)."""
    if not isinstance(given, dict) or not given.get("value"):
        if required:
            raise required_missing(name)
        return None
    value = str(given["value"])
    if entity in FIXED_LISTS:
        row = call.unit.once((entity, value), lambda: fixed_row(call.organisation, entity, value))
        if row is None:
            raise invalid_reference(REF_LABEL.get(entity, entity), value)
        if row.get("Active") is False:
            raise not_found()
        return {"value": value, "name": row["Name"]}
    # An operation does not see names made earlier in the same batch (as Intuit documents), so a request may look
    # each one up once.
    contact = call.unit.once(
        (entity, value), lambda: contacts_of(call.organisation, entity).filter(external_id=value).first()
    )
    if contact is None:
        raise invalid_reference(entity, value)
    if contact.body.get("Active") is False:
        raise not_found()
    return {"value": value, "name": contact.name}


def contact_currency(call: Call, entity: str, value: str) -> str:
    contact = call.unit.once(
        (entity, value), lambda: contacts_of(call.organisation, entity).filter(external_id=value).first()
    )
    currency = (contact.body.get("CurrencyRef") or {}).get("value") if contact else None
    return currency or call.organisation.currency


def amount_of(line: dict) -> Decimal:
    try:
        amount = to_decimal(line.get("Amount"))
    except ValueError:
        raise intuit_fault(
            "Invalid Number", "Line.Amount is not a valid number", "2040", element="Line.Amount"
        ) from None
    if amount is None:
        raise required_missing("Line.Amount")
    return cents(amount)


@dataclass
class Tax:
    """How one transaction is taxed, and what its lines add up to."""

    company: Company
    calculation: str
    purchases: bool
    net: Decimal = Decimal(0)
    computed: Decimal = Decimal(0)

    def rate(self, call: Call, code: dict) -> Decimal:
        row = fixed_row(call.organisation, "TaxCode", code["value"])
        if not row.get("TaxGroup"):
            return Decimal(0)
        listed = row["PurchaseTaxRateList" if self.purchases else "SalesTaxRateList"]["TaxRateDetail"]
        if not listed:
            use = "purchases" if self.purchases else "sales"
            raise business_error(f"The tax code {row['Name']} cannot be used on {use}.", "TaxCodeRef")
        rates = {r["Id"]: Decimal(str(r["RateValue"])) for r in FIXED_LISTS["TaxRate"](call.organisation)}
        return sum((rates[d["TaxRateRef"]["value"]] for d in listed), Decimal(0))

    def line(self, call: Call, detail: dict, amount: Decimal) -> None:
        """Check the line's tax code and count it."""
        code = ref(call, detail.get("TaxCodeRef"), "TaxCode", "TaxCodeRef", required=False)
        self.net += amount
        if self.company.is_us:
            if code is not None:
                if code["value"] not in ("TAX", "NON"):
                    raise business_error("A line's tax code is TAX or NON.", "TaxCodeRef")
                detail["TaxCodeRef"] = {"value": code["value"]}
            elif self.purchases:
                detail["TaxCodeRef"] = {"value": "NON"}
            return
        if code is None:
            raise business_error("Make sure all your transactions have a VAT rate before you save.", "TaxCodeRef")
        detail["TaxCodeRef"] = {"value": code["value"]}
        rate = self.rate(call, code)
        if self.calculation == "TaxExcluded":
            self.computed += amount * rate / 100
        elif self.calculation == "TaxInclusive":
            self.computed += amount * rate / (100 + rate)

    def totals(self, call: Call, element: dict, taxable: Decimal) -> tuple[dict, Decimal]:
        """``TxnTaxDetail`` and ``TotalAmt``. A given ``TxnTaxDetail.TotalTax`` overrides the computed tax."""
        given = element.get("TxnTaxDetail") if isinstance(element.get("TxnTaxDetail"), dict) else {}
        detail: dict = {}
        if self.company.is_us and given.get("TxnTaxCodeRef") is not None:
            code = ref(call, given["TxnTaxCodeRef"], "TaxCode", "TxnTaxDetail.TxnTaxCodeRef")
            detail["TxnTaxCodeRef"] = code
            self.computed = taxable * self.rate(call, code) / 100
        tax = cents(self.computed)
        if given.get("TotalTax") is not None:
            try:
                tax = cents(to_decimal(given["TotalTax"]) or Decimal(0))
            except ValueError:
                raise intuit_fault("Invalid Number", "TotalTax is not a valid number", "2040") from None
        detail["TotalTax"] = number(tax)
        total = self.net if self.calculation == "TaxInclusive" else self.net + tax
        return detail, total


def tax_for(organisation: Organisation, element: dict, *, purchases: bool) -> Tax:
    company = company_of(organisation)
    calculation = element.get("GlobalTaxCalculation") or "TaxExcluded"
    if not company.is_us and calculation not in TAX_CALCULATIONS:
        raise intuit_fault(
            "Invalid Enumeration",
            f"Invalid GlobalTaxCalculation: {calculation}",
            "2080",
            element="GlobalTaxCalculation",
        )
    if company.is_us:
        calculation = "TaxExcluded"
    return Tax(company=company, calculation=calculation, purchases=purchases)


def currency_check(call: Call, element: dict, *, entity: str, contact: str | None) -> str:
    """The transaction's currency; its vendor's or customer's must be the same."""
    given = element.get("CurrencyRef")
    currency = str(given.get("value")) if isinstance(given, dict) and given.get("value") else call.organisation.currency
    if contact is not None:
        theirs = contact_currency(call, entity, contact)
        if theirs != currency:
            raise business_error("You can only use one foreign currency per transaction.", "CurrencyRef")
    return currency
