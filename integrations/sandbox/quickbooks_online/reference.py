"""QuickBooks Online's lists as the sandbox keeps them: the company's fixed lists (accounts, tax codes and rates,
items, classes, departments; see ``companies``), its names (vendors, customers, employees: stored, seeded on first
use with fixed ids) and its documents; reading one entity (``GET …/{entity}/{id}``, ``companyinfo``,
``preferences``) and QuickBooks' exchange rates."""

from datetime import datetime

from integrations.sandbox.models import Contact, Document, Organisation
from integrations.sandbox.quickbooks_online.api import Call, intuit_fault, meta, not_found, qbo_time
from integrations.sandbox.quickbooks_online.companies import CURRENCY_NAMES, RATES, Company, company_of
from integrations.sandbox.quickbooks_online.constants import CONTACT_ENTITIES, QBO, QUERYABLE

CLASSIFICATION = {
    "Bank": "Asset",
    "Accounts Receivable": "Asset",
    "Other Current Asset": "Asset",
    "Fixed Asset": "Asset",
    "Other Asset": "Asset",
    "Credit Card": "Liability",
    "Accounts Payable": "Liability",
    "Other Current Liability": "Liability",
    "Long Term Liability": "Liability",
    "Equity": "Equity",
    "Income": "Revenue",
    "Other Income": "Revenue",
    "Cost of Goods Sold": "Expense",
    "Expense": "Expense",
    "Other Expense": "Expense",
}


def currency_ref(code: str) -> dict:
    return {"value": code, "name": CURRENCY_NAMES.get(code, code)}


def _common(organisation: Organisation) -> dict:
    return {
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": False,
        "MetaData": meta(organisation.created_at, organisation.created_at),
    }


def account_rows(organisation: Organisation) -> list[dict]:
    company = company_of(organisation)
    return [
        {
            "Id": account_id,
            "Name": name,
            "FullyQualifiedName": name,
            "SubAccount": False,
            "AccountType": kind,
            "AccountSubType": sub_type,
            "Classification": CLASSIFICATION[kind],
            **({"AcctNum": number} if number else {}),
            "Active": active,
            "CurrentBalance": 0,
            "CurrencyRef": currency_ref(currency or company.currency),
            **_common(organisation),
        }
        for account_id, name, kind, sub_type, number, active, currency in company.accounts
    ]


def tax_rate_rows(organisation: Organisation) -> list[dict]:
    return [
        {
            "Id": rate_id,
            "Name": name,
            "Description": name,
            "RateValue": float(value),
            "Active": active,
            "AgencyRef": {"value": "1"},
            "SpecialTaxType": "NONE",
            "DisplayType": "ReadOnly",
            **_common(organisation),
        }
        for rate_id, name, value, active in company_of(organisation).tax_rates
    ]


def _rate_list(company: Company, ids: tuple[str, ...]) -> dict:
    names = {r[0]: r[1] for r in company.tax_rates}
    return {
        "TaxRateDetail": [
            {"TaxRateRef": {"value": i, "name": names[i]}, "TaxTypeApplicable": "TaxOnAmount", "TaxOrder": 0}
            for i in ids
        ]
    }


def tax_code_rows(organisation: Organisation) -> list[dict]:
    company = company_of(organisation)
    rows = []
    for code_id, name, description, sales, purchases, active in company.tax_codes:
        pseudo = code_id in ("TAX", "NON")  # the US pseudo codes: no rate lists, not a group
        row = {
            "Id": code_id,
            "Name": name,
            "Description": description,
            "Active": active,
            "Hidden": False,
            "Taxable": code_id != "NON",
            "TaxGroup": not pseudo,
            **_common(organisation),
        }
        if not pseudo:
            row |= {
                "SalesTaxRateList": _rate_list(company, sales),
                "PurchaseTaxRateList": _rate_list(company, purchases),
            }
        rows.append(row)
    return rows


def item_rows(organisation: Organisation) -> list[dict]:
    company = company_of(organisation)
    names = {a[0]: a[1] for a in company.accounts}
    rows = []
    for item_id, name, kind, income, expense, sku, active in company.items:
        row = {"Id": item_id, "Name": name, "FullyQualifiedName": name, "Type": kind, "Active": active}
        if sku:
            row["Sku"] = sku
        if income:
            row["IncomeAccountRef"] = {"value": income, "name": names[income]}
        if expense:
            row["ExpenseAccountRef"] = {"value": expense, "name": names[expense]}
        rows.append(row | {"Taxable": kind != "Category", **_common(organisation)})
    return rows


def named_rows(organisation: Organisation, entity: str) -> list[dict]:
    company = company_of(organisation)
    listed = company.classes if entity == "Class" else company.departments
    return [
        {
            "Id": named_id,
            "Name": name,
            "FullyQualifiedName": name,
            ("SubClass" if entity == "Class" else "SubDepartment"): False,
            "Active": active,
            **_common(organisation),
        }
        for named_id, name, active in listed
    ]


FIXED_LISTS = {
    "Account": account_rows,
    "TaxRate": tax_rate_rows,
    "TaxCode": tax_code_rows,
    "Item": item_rows,
    "Class": lambda organisation: named_rows(organisation, "Class"),
    "Department": lambda organisation: named_rows(organisation, "Department"),
}


def fixed_row(organisation: Organisation, entity: str, row_id: str) -> dict | None:
    return next((row for row in FIXED_LISTS[entity](organisation) if row["Id"] == str(row_id)), None)


# --- the names (vendors, customers, employees): stored, the company's own seeded on first use ---

_seeded: set[tuple] = set()  # organisations whose names are in (a reset makes new organisation rows)


def _seed_body(organisation: Organisation, entity: str, name_id: str, name: str, currency: str, active: bool) -> dict:
    body = {
        "Id": name_id,
        "DisplayName": name,
        "PrintOnCheckName": name,
        "Active": active,
        **_common(organisation),
    }
    if entity == "Employee":
        given, _, family = name.partition(" ")
        return body | {"GivenName": given, "FamilyName": family}
    return body | {"CompanyName": name, "Balance": 0, "CurrencyRef": currency_ref(currency or organisation.currency)}


def names_seed(organisation: Organisation) -> None:
    """The company's vendors, customers and employees, the first time they are asked for (same ids every time)."""
    key = (organisation.pk, organisation.external_id, organisation.created_at)
    if key in _seeded:
        return
    company = company_of(organisation)
    last = (company.employees or company.customers or company.vendors)[-1][0]
    if (
        Contact.objects.filter(provider=QBO, organisation=organisation, kind__in=CONTACT_ENTITIES.values())
        .filter(external_id=last)
        .exists()
    ):  # seeded by another process (one insert of them all: the last one in, all are)
        _seeded.add(key)
        return
    rows = [
        Contact(
            provider=QBO,
            organisation=organisation,
            kind=entity,
            external_id=name_id,
            name=name,
            body=_seed_body(organisation, entity, name_id, name, currency, active),
            created_at=organisation.created_at,
            updated_at=organisation.created_at,
        )
        for entity, listed in (
            ("Vendor", company.vendors),
            ("Customer", company.customers),
            ("Employee", company.employees),
        )
        for name_id, name, currency, active in listed
    ]
    Contact.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    _seeded.add(key)


def contacts_of(organisation: Organisation, kind: str | None = None):
    names_seed(organisation)
    rows = Contact.objects.filter(provider=QBO, organisation=organisation)
    return rows.filter(kind=kind) if kind else rows.filter(kind__in=CONTACT_ENTITIES.values())


def documents_of(organisation: Organisation, kind: str):
    return Document.objects.filter(provider=QBO, organisation=organisation, type=kind)


def entity_rows(organisation: Organisation, entity: str) -> list[dict]:
    return [row for row, _ in entity_changes(organisation, entity)]


def entity_changes(organisation: Organisation, entity: str) -> list[tuple[dict, datetime]]:
    """Every row of ``entity`` with the time it last changed (what change data capture reads)."""
    if entity in FIXED_LISTS:
        return [(row, organisation.created_at) for row in FIXED_LISTS[entity](organisation)]
    if entity in CONTACT_ENTITIES.values():
        return [(c.body, c.updated_at) for c in contacts_of(organisation, entity)]
    return [(d.body, d.updated_at) for d in documents_of(organisation, entity)]


def company_info(organisation: Organisation) -> dict:
    company = company_of(organisation)
    return {
        "Id": "1",
        "CompanyName": organisation.name,
        "LegalName": organisation.name,
        "Country": company.country,
        "CompanyAddr": {"Country": company.country},
        "SupportedLanguages": "en",
        **_common(organisation),
    }


def preferences(organisation: Organisation) -> dict:
    company = company_of(organisation)
    return {
        "CurrencyPrefs": {"MultiCurrencyEnabled": True, "HomeCurrency": {"value": company.currency}},
        "TaxPrefs": {"UsingSalesTax": True, **({} if company.is_us else {"PartnerTaxEnabled": True})},
        "AccountingInfoPrefs": {"UseAccountNumbers": any(a[4] for a in company.accounts), "ClassTrackingPerTxn": True},
        **_common(organisation),
    }


def entity_detail(*, call: Call, entity: str, entity_id: str) -> dict:
    organisation = call.organisation
    lowered = entity.lower()
    if lowered == "companyinfo":
        if entity_id != organisation.external_id:
            raise not_found()
        return {"CompanyInfo": company_info(organisation), "time": qbo_time()}
    name = QUERYABLE.get(lowered)
    if name is None:
        raise not_found()
    for row in entity_rows(organisation, name):
        if row["Id"] == entity_id:
            return {name: row, "time": qbo_time()}
    raise not_found()


def preferences_detail(*, call: Call) -> dict:
    return {"Preferences": preferences(call.organisation), "time": qbo_time()}


def exchange_rate(*, call: Call, source: str, as_of: str) -> dict:
    """``GET …/exchangerate?sourcecurrencycode=EUR&asofdate=…``: home units per one unit of ``source``."""
    home = call.organisation.currency
    rate = "1" if source == home else RATES.get((source, home))
    if rate is None:
        raise intuit_fault("Object Not Found", f"Object Not Found : No exchange rate for {source}", "610")
    return {
        "ExchangeRate": {
            "SourceCurrencyCode": source,
            "TargetCurrencyCode": home,
            "Rate": float(rate),
            "AsOfDate": as_of,
            **_common(call.organisation),
        },
        "time": qbo_time(),
    }
