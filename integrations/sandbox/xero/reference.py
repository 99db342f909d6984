"""Xero's reference data: the organisation, its accounts and its tax rates."""

import uuid

from integrations.sandbox.models import Organisation
from integrations.sandbox.values import ms_date
from integrations.sandbox.xero.api import Call, envelope
from integrations.sandbox.xero.constants import ACCOUNT_CLASS, ACCOUNTS, ACCOUNTS_BY_CODE, TAX_RATES
from integrations.sandbox.xero.where import filtered


def account_uuid(organisation: Organisation, code: str) -> str:
    return str(uuid.uuid5(uuid.UUID(organisation.external_id), f"account:{code}"))


def _account(organisation: Organisation, code: str) -> dict:
    code, name, kind, tax_type = ACCOUNTS_BY_CODE[code]
    account = {
        "AccountID": account_uuid(organisation, code),
        "Code": code,
        "Name": name,
        "Type": kind,
        "TaxType": tax_type,
        "Status": "ACTIVE",
        "Class": ACCOUNT_CLASS[kind],
        "EnablePaymentsToAccount": False,
        "ShowInExpenseClaims": kind in {"EXPENSE", "OVERHEADS", "DIRECTCOSTS"},
        "UpdatedDateUTC": ms_date(organisation.created_at),
    }
    if kind == "BANK":
        account |= {"BankAccountType": "BANK", "BankAccountNumber": f"12-34-56 0000{code}", "CurrencyCode": "GBP"}
    return account


def accounts_list(*, call: Call, where: str | None) -> dict:
    items = [_account(call.organisation, code) for code, *_ in ACCOUNTS]
    return envelope(call, "Accounts", filtered(items, where))


def tax_rates_list(*, call: Call, where: str | None) -> dict:
    items = [
        {
            "Name": name,
            "TaxType": tax_type,
            "Status": "ACTIVE",
            "ReportTaxType": "OUTPUT" if "OUTPUT" in tax_type else ("INPUT" if "INPUT" in tax_type else "NONE"),
            "CanApplyToAssets": True,
            "CanApplyToEquity": True,
            "CanApplyToExpenses": "OUTPUT" not in tax_type,
            "CanApplyToLiabilities": True,
            "CanApplyToRevenue": "INPUT" not in tax_type,
            "DisplayTaxRate": float(rate),
            "EffectiveRate": float(rate),
            "TaxComponents": [{"Name": "VAT", "Rate": float(rate), "IsCompound": False, "IsNonRecoverable": False}],
        }
        for tax_type, name, rate in TAX_RATES
    ]
    return envelope(call, "TaxRates", filtered(items, where))


def organisation_detail(*, call: Call) -> dict:
    organisation = call.organisation
    return envelope(
        call,
        "Organisations",
        [
            {
                "OrganisationID": organisation.external_id,
                "Name": organisation.name,
                "LegalName": organisation.name,
                "BaseCurrency": organisation.currency,
                "CountryCode": "GB",
                "OrganisationType": "COMPANY",
                "OrganisationStatus": "ACTIVE",
                "IsDemoCompany": False,
                "Version": "UK",
                "ShortCode": "!" + organisation.external_id[:5],
                "CreatedDateUTC": ms_date(organisation.created_at),
            }
        ],
    )
