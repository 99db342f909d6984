"""Xero's reference data: the organisation, its chart of accounts, tax rates and tracking categories.

- ``GET /Accounts`` answers the whole chart (not paged), archived accounts included, and honours
  ``If-Modified-Since`` (only accounts changed after it). Bank accounts carry ``BankAccountType`` (``BANK`` or
  ``CREDITCARD``); a bank account may have no ``Code``; system accounts name their ``SystemAccount``.
- ``GET /TaxRates`` answers every rate with its ``Status``; no ``If-Modified-Since``.
- ``GET /TrackingCategories`` answers the active categories and their active options; ``includeArchived=true``
  adds the archived ones.
"""

import uuid
import zlib
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from integrations.sandbox.models import Organisation
from integrations.sandbox.values import ms_date
from integrations.sandbox.xero import constants
from integrations.sandbox.xero.api import Call, bad_request, envelope
from integrations.sandbox.xero.constants import ACCOUNT_CLASS, ChartRow
from integrations.sandbox.xero.where import filtered


def account_uuid(organisation: Organisation, key: str) -> str:
    """An account's AccountID: fixed per organisation and account (its code, or its name when it has none)."""
    return str(uuid.uuid5(uuid.UUID(organisation.external_id), f"account:{key}"))


def since_parse(raw: str | None) -> datetime | None:
    """An ``If-Modified-Since`` header: ISO (``2030-01-05T10:00:00``, UTC unless it says) or an HTTP date."""
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        try:
            moment = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            raise bad_request("ValidationException", 10, "If-Modified-Since is not a valid date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def chart(organisation: Organisation) -> list[tuple[ChartRow, str]]:
    """The organisation's accounts with their AccountIDs (read from ``constants`` each time: tests change it)."""
    return [(row, account_uuid(organisation, row.code or row.name)) for row in constants.ACCOUNTS]


def account_changed_at(organisation: Organisation, row: ChartRow) -> datetime:
    return row.changed_at or organisation.created_at


def _account(organisation: Organisation, row: ChartRow, account_id: str) -> dict:
    account = {
        "AccountID": account_id,
        "Name": row.name,
        "Type": row.type,
        "TaxType": row.tax_type,
        "Status": row.status,
        "Class": ACCOUNT_CLASS[row.type],
        "EnablePaymentsToAccount": False,
        "ShowInExpenseClaims": ACCOUNT_CLASS[row.type] == "EXPENSE",
        "BankAccountType": row.bank_type,
        "ReportingCode": "",
        "HasAttachments": False,
        "AddToWatchlist": False,
        "UpdatedDateUTC": ms_date(account_changed_at(organisation, row)),
    }
    if row.code:
        account["Code"] = row.code
    if row.system:
        account["SystemAccount"] = row.system
    if row.type == "BANK":
        account |= {"BankAccountNumber": f"12-34-56 {zlib.crc32(row.name.encode()) % 10**8:08d}", "CurrencyCode": "GBP"}
    return account


def accounts_list(*, call: Call, where: str | None, modified_since: str | None = None) -> dict:
    organisation, since = call.organisation, since_parse(modified_since)
    items = [
        _account(organisation, row, account_id)
        for row, account_id in chart(organisation)
        if since is None or account_changed_at(organisation, row) > since
    ]
    return envelope(call, "Accounts", filtered(items, where))


def tax_rates_list(*, call: Call, where: str | None) -> dict:
    items = [
        {
            "Name": rate.name,
            "TaxType": rate.tax_type,
            "Status": rate.status,
            "ReportTaxType": "INPUT" if rate.expenses and not rate.revenue else "OUTPUT" if rate.revenue else "NONE",
            "CanApplyToAssets": rate.expenses,
            "CanApplyToEquity": rate.expenses,
            "CanApplyToExpenses": rate.expenses,
            "CanApplyToLiabilities": rate.expenses,
            "CanApplyToRevenue": rate.revenue,
            "DisplayTaxRate": float(rate.rate),
            "EffectiveRate": float(rate.rate),
            "TaxComponents": [
                {"Name": "VAT", "Rate": float(rate.rate), "IsCompound": False, "IsNonRecoverable": False}
            ],
        }
        for rate in constants.TAX_RATES
    ]
    return envelope(call, "TaxRates", filtered(items, where))


def tracking_uuid(organisation: Organisation, *names: str) -> str:
    return str(uuid.uuid5(uuid.UUID(organisation.external_id), "tracking:" + "/".join(names)))


def tracking_categories_list(*, call: Call, where: str | None, include_archived: bool) -> dict:
    organisation = call.organisation
    items = []
    for name, status, options in constants.TRACKING:
        if status != "ACTIVE" and not include_archived:
            continue
        items.append(
            {
                "TrackingCategoryID": tracking_uuid(organisation, name),
                "Name": name,
                "Status": status,
                "Options": [
                    {
                        "TrackingOptionID": tracking_uuid(organisation, name, option),
                        "Name": option,
                        "Status": option_status,
                        "HasValidationErrors": False,
                        "IsDeleted": False,
                        "IsArchived": option_status == "ARCHIVED",
                        "IsActive": option_status == "ACTIVE",
                    }
                    for option, option_status in options
                    if option_status == "ACTIVE" or include_archived
                ],
            }
        )
    return envelope(call, "TrackingCategories", filtered(items, where))


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
