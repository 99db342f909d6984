"""QuickBooks Online's lists as the sandbox keeps them (accounts, items, vendors, customers, documents), and
reading one entity (``GET …/{entity}/{id}``, ``companyinfo``)."""

from integrations.sandbox.models import Contact, Document, Organisation
from integrations.sandbox.quickbooks_online.api import Call, not_found, qbo_time
from integrations.sandbox.quickbooks_online.constants import (
    ACCOUNTS,
    ACCOUNTS_BY_ID,
    CONTACT_ENTITIES,
    ITEMS,
    ITEMS_BY_ID,
    QBO,
    QUERYABLE,
    USD,
)


def _account(account_id: str) -> dict:
    account_id, name, kind, sub_type = ACCOUNTS_BY_ID[account_id]
    return {
        "Id": account_id,
        "Name": name,
        "FullyQualifiedName": name,
        "AccountType": kind,
        "AccountSubType": sub_type,
        "Active": True,
        "Classification": {"Bank": "Asset", "Credit Card": "Liability", "Income": "Revenue"}.get(kind, "Expense"),
        "CurrentBalance": 0,
        "CurrencyRef": USD,
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": False,
    }


def _item(item_id: str) -> dict:
    item_id, name, income = ITEMS_BY_ID[item_id]
    return {
        "Id": item_id,
        "Name": name,
        "Type": "Service",
        "Active": True,
        "IncomeAccountRef": {"value": income, "name": ACCOUNTS_BY_ID[income][1]},
        "SyncToken": "0",
        "domain": "QBO",
        "sparse": False,
    }


def contacts_of(organisation: Organisation, kind: str):
    return Contact.objects.filter(provider=QBO, organisation=organisation, kind=kind)


def documents_of(organisation: Organisation, kind: str):
    return Document.objects.filter(provider=QBO, organisation=organisation, type=kind)


def entity_rows(organisation: Organisation, entity: str) -> list[dict]:
    if entity == "Account":
        return [_account(a[0]) for a in ACCOUNTS]
    if entity == "Item":
        return [_item(i[0]) for i in ITEMS]
    if entity in CONTACT_ENTITIES.values():
        return [c.body for c in contacts_of(organisation, entity)]
    return [d.body for d in documents_of(organisation, entity)]


def entity_detail(*, call: Call, entity: str, entity_id: str) -> dict:
    organisation = call.organisation
    lowered = entity.lower()
    if lowered == "companyinfo":
        if entity_id != organisation.external_id:
            raise not_found()
        return {
            "CompanyInfo": {
                "Id": "1",
                "CompanyName": organisation.name,
                "LegalName": organisation.name,
                "Country": "US",
                "SyncToken": "0",
                "domain": "QBO",
                "sparse": False,
            },
            "time": qbo_time(),
        }
    name = QUERYABLE.get(lowered)
    if name is None:
        raise not_found()
    for row in entity_rows(organisation, name):
        if row["Id"] == entity_id:
            return {name: row, "time": qbo_time()}
    raise not_found()
