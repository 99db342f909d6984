"""Xero: the identity calls' companions (``/connections``) and the Accounting API calls the product
makes, with Xero's checks, envelopes and limits.

- Every API call needs ``Authorization: Bearer <access token>`` (else 401 ``AuthenticationUnsuccessful``)
  and a ``xero-tenant-id`` the token was granted (else 403 ``AuthorizationUnsuccessful``).
- Limits per tenant: 60 calls a minute, 5,000 a day, 5 at once; 10,000 a minute per app. Over a
  limit: 429 with ``Retry-After`` and ``X-Rate-Limit-Problem`` (``minute``, ``day``, ``appminute``,
  ``concurrent``). Every answer carries ``X-MinLimit-Remaining``, ``X-DayLimit-Remaining`` and
  ``X-AppMinLimit-Remaining``.
- ``Idempotency-Key`` (≤ 128 characters) on creates: a replay gets the first answer, nothing new.
- ``summarizeErrors`` (default true): one bad element refuses the whole call with a 400
  ``ValidationException`` and nothing is saved; ``false`` saves the good ones and answers 200 with
  ``StatusAttributeString`` and ``ValidationErrors`` per element.
- Reference rule: a document's ``reference`` is its ``Reference`` if present, else its ``InvoiceNumber``.
- A ``Contact`` given by ``Name`` only is matched to an existing contact (case-insensitively) or
  created, as Xero does.
"""

import json
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar
from urllib.parse import quote

from django.conf import settings
from django.db import transaction

from integrations.sandbox import clock, counters, faults, idempotency, oauth
from integrations.sandbox.errors import SandboxError
from integrations.sandbox.models import Attachment, Contact, Document, Grant, Organisation, Provider
from integrations.sandbox.unit import Unit
from integrations.sandbox.values import cents, ms_date, number, parse_date, to_decimal

XERO = Provider.XERO
POLICY = oauth.POLICIES[XERO]
MINUTE_LIMIT, DAY_LIMIT, APP_MINUTE_LIMIT, CONCURRENT_LIMIT = 60, 5000, 10_000, 5
BODY_LIMIT = 3_500_000
ATTACHMENT_LIMIT = 25 * 1024 * 1024
ATTACHMENTS_PER_DOCUMENT = 10
PAGE_SIZE = 100
CURRENCIES = {"GBP", "EUR", "USD", "AUD", "NZD", "CAD"}
INVOICE_TYPES = {"ACCPAY", "ACCREC"}
BANK_TRANSACTION_TYPES = {"SPEND", "RECEIVE"}
INVOICE_STATUSES = {"DRAFT", "SUBMITTED", "AUTHORISED"}
LINE_AMOUNT_TYPES = {"Exclusive", "Inclusive", "NoTax"}

# code, name, type, default tax type (a UK organisation's chart, abridged)
ACCOUNTS = [
    ("090", "Business Bank Account", "BANK", "NONE"),
    ("091", "Business Savings Account", "BANK", "NONE"),
    ("200", "Sales", "REVENUE", "OUTPUT2"),
    ("260", "Other Revenue", "REVENUE", "OUTPUT2"),
    ("310", "Cost of Goods Sold", "DIRECTCOSTS", "INPUT2"),
    ("400", "Advertising & Marketing", "EXPENSE", "INPUT2"),
    ("404", "Bank Fees", "EXPENSE", "EXEMPTINPUT"),
    ("408", "Cleaning", "EXPENSE", "INPUT2"),
    ("420", "Entertainment-100% business", "EXPENSE", "NONE"),
    ("429", "General Expenses", "EXPENSE", "INPUT2"),
    ("433", "Insurance", "EXPENSE", "EXEMPTINPUT"),
    ("445", "Light, Power, Heating", "EXPENSE", "INPUT2"),
    ("453", "Office Expenses", "EXPENSE", "INPUT2"),
    ("461", "Printing & Stationery", "EXPENSE", "INPUT2"),
    ("463", "IT Software and Consumables", "EXPENSE", "INPUT2"),
    ("469", "Rent", "OVERHEADS", "EXEMPTINPUT"),
    ("489", "Telephone & Internet", "EXPENSE", "INPUT2"),
    ("493", "Travel - National", "EXPENSE", "INPUT2"),
    ("494", "Travel - International", "EXPENSE", "ZERORATEDINPUT"),
]
ACCOUNT_CLASS = {"BANK": "ASSET", "REVENUE": "REVENUE", "DIRECTCOSTS": "EXPENSE", "EXPENSE": "EXPENSE"}
ACCOUNT_CLASS["OVERHEADS"] = "EXPENSE"
ACCOUNTS_BY_CODE = {code: (code, name, kind, tax) for code, name, kind, tax in ACCOUNTS}

# tax type, name, rate %
TAX_RATES = [
    ("INPUT2", "20% (VAT on Expenses)", Decimal(20)),
    ("OUTPUT2", "20% (VAT on Income)", Decimal(20)),
    ("RRINPUT", "5% (VAT on Expenses)", Decimal(5)),
    ("RROUTPUT", "5% (VAT on Income)", Decimal(5)),
    ("ZERORATEDINPUT", "Zero Rated Expenses", Decimal(0)),
    ("ZERORATEDOUTPUT", "Zero Rated Income", Decimal(0)),
    ("EXEMPTINPUT", "Exempt Expenses", Decimal(0)),
    ("EXEMPTOUTPUT", "Exempt Income", Decimal(0)),
    ("NONE", "No VAT", Decimal(0)),
]
TAX_RATE_BY_TYPE = {tax_type: rate for tax_type, _, rate in TAX_RATES}


# --- errors in Xero's shapes ---


def _problem(status: int, title: str, detail: str, headers: dict | None = None) -> SandboxError:
    return SandboxError(status, {"Type": None, "Title": title, "Status": status, "Detail": detail}, headers=headers)


def _not_found() -> SandboxError:
    return SandboxError(404, "The resource you're looking for cannot be found", content_type="text/plain")


def _validation(elements: list[dict]) -> SandboxError:
    return SandboxError(
        400,
        {
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": elements,
        },
    )


def _bad_request(error_type: str, number_: int, message: str) -> SandboxError:
    return SandboxError(400, {"ErrorNumber": number_, "Type": error_type, "Message": message})


def _rate_limited(problem: str, retry_after: int) -> SandboxError:
    return _problem(
        429,
        "Too Many Requests",
        "Rate limit exceeded",
        headers={"Retry-After": str(retry_after), "X-Rate-Limit-Problem": problem},
    )


def _fault_error(hit: faults.FaultHit) -> SandboxError:
    if hit.mode == "rate_limit":
        return _rate_limited("minute", hit.retry_after)
    if hit.mode == "timeout":
        return _problem(504, "Gateway Timeout", "The request timed out")
    return _problem(500, "An error occurred", "An error occurred in Xero. Check the API Status page for details.")


# --- the guard every API call goes through ---


def _fault_check() -> None:
    hit = faults.fault_draw(XERO)
    if hit:
        raise _fault_error(hit)


@dataclass
class Call:
    provider: ClassVar[str] = XERO
    grant: Grant
    organisation: Organisation | None
    headers: dict[str, str] = field(default_factory=dict)
    unit: Unit = field(default_factory=Unit)


@contextmanager
def api_call(*, authorization: str | None, tenant_id: str | None, needs_tenant: bool = True) -> Iterator[Call]:
    try:
        token, organisation = oauth.access_check(
            POLICY, authorization=authorization, organisation_id=tenant_id if needs_tenant else None
        )
    except oauth.TokenRefused as refused:
        headers = {} if refused.reason == "missing" else {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        raise _problem(401, "Unauthorized", "AuthenticationUnsuccessful", headers=headers) from None
    if needs_tenant and organisation is None:
        raise _problem(403, "Forbidden", "AuthorizationUnsuccessful")
    if organisation is None:
        _fault_check()
        yield Call(grant=token.grant, organisation=None)
        return
    tenant = organisation.external_id
    try:
        remaining = counters.calls_count(
            [
                counters.Limit(f"xero:minute:{tenant}", 60, MINUTE_LIMIT, "minute"),
                counters.Limit(f"xero:day:{tenant}", 86_400, DAY_LIMIT, "day"),
                counters.Limit(f"xero:appminute:{token.grant.client_id}", 60, APP_MINUTE_LIMIT, "appminute"),
            ]
        )
    except counters.LimitExceeded as exceeded:
        raise _rate_limited(exceeded.problem, exceeded.retry_after) from None
    headers = {
        "X-MinLimit-Remaining": str(remaining["minute"]),
        "X-DayLimit-Remaining": str(remaining["day"]),
        "X-AppMinLimit-Remaining": str(remaining["appminute"]),
    }
    try:
        with counters.concurrency_slot(f"xero:{tenant}", CONCURRENT_LIMIT):
            _fault_check()  # inside the slot: a slow answer holds it, as a slow Xero would
            yield Call(grant=token.grant, organisation=organisation, headers=headers)
    except counters.LimitExceeded as exceeded:
        raise _rate_limited(exceeded.problem, exceeded.retry_after) from None


def _envelope(call: Call, key: str, items: list) -> dict:
    return {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": oauth.client_app_name(call.grant.client_id),
        "DateTimeUTC": ms_date(clock.now()),
        key: items,
    }


def _parse(raw: bytes) -> dict | list:
    if len(raw) > BODY_LIMIT:
        raise SandboxError(413, {"Type": None, "Title": "Payload Too Large", "Status": 413, "Detail": "Max 3.5 MB"})
    try:
        payload = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise _bad_request("PostDataInvalidException", 14, "Invalid Json data") from None
    if not isinstance(payload, dict | list):
        raise _bad_request("PostDataInvalidException", 14, "Invalid Json data")
    return payload


def _elements(payload: dict | list, key: str) -> list[dict]:
    """Xero takes ``{"Invoices": [...]}``, a bare list, or one object."""
    if isinstance(payload, dict) and key in payload:
        payload = payload[key]
    items = payload if isinstance(payload, list) else [payload]
    if not items or not all(isinstance(item, dict) for item in items):
        raise _bad_request("PostDataInvalidException", 14, f"Invalid {key} data")
    return items


def _key_check(key: str) -> None:
    if len(key) > 128:
        raise _validation([{"ValidationErrors": [{"Message": "Idempotency-Key must be 128 characters or fewer"}]}])


# --- connections ---


def _xero_time(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "0"


def connections_list(*, call: Call) -> list[dict]:
    grant = call.grant
    return [
        {
            "id": str(uuid.uuid5(grant.auth_event_id, organisation.external_id)),
            "authEventId": str(grant.auth_event_id),
            "tenantId": organisation.external_id,
            "tenantType": "ORGANISATION",
            "tenantName": organisation.name,
            "createdDateUtc": _xero_time(grant.created_at),
            "updatedDateUtc": _xero_time(grant.created_at),
        }
        for organisation in grant.organisations.order_by("position")
    ]


def connection_delete(*, call: Call, connection_id: str) -> None:
    for organisation in call.grant.organisations.all():
        if str(uuid.uuid5(call.grant.auth_event_id, organisation.external_id)) == connection_id:
            call.grant.organisations.remove(organisation)
            return
    raise _not_found()


# --- reference data ---


def _account_id(organisation: Organisation, code: str) -> str:
    return str(uuid.uuid5(uuid.UUID(organisation.external_id), f"account:{code}"))


def _account(organisation: Organisation, code: str) -> dict:
    code, name, kind, tax_type = ACCOUNTS_BY_CODE[code]
    account = {
        "AccountID": _account_id(organisation, code),
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
    return _envelope(call, "Accounts", _filter(items, where))


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
    return _envelope(call, "TaxRates", _filter(items, where))


def organisation_detail(*, call: Call) -> dict:
    organisation = call.organisation
    return _envelope(
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


# --- the `where` filter: clauses `Path=="text"`, `Path==Guid("…")`, `Path==true`, joined by && / AND ---

_CLAUSE = re.compile(
    r'\s*(?P<path>[A-Za-z][\w.]*)\s*==\s*(?:"(?P<text>(?:[^"\\]|\\.)*)"|Guid\("(?P<guid>[^"]*)"\)|(?P<bool>true|false))\s*',
    re.IGNORECASE,
)
_JOIN = re.compile(r"\s*(?:&&|\bAND\b)\s*", re.IGNORECASE)


def _where_parse(where: str) -> list[tuple[list[str], object]]:
    clauses, position = [], 0
    while True:
        match = _CLAUSE.match(where, position)
        if not match:
            raise _bad_request("QueryParseException", 16, f"Unsupported where clause: {where}")
        if match.group("text") is not None:
            value = re.sub(r"\\(.)", r"\1", match.group("text"))
        elif match.group("guid") is not None:
            value = match.group("guid")
        else:
            value = match.group("bool").lower() == "true"
        clauses.append((match.group("path").split("."), value))
        position = match.end()
        if position >= len(where):
            return clauses
        join = _JOIN.match(where, position)
        if not join:
            raise _bad_request("QueryParseException", 16, f"Unsupported where clause: {where}")
        position = join.end()


def _field(item: dict, path: list[str]):
    value = item
    for part in path:
        if not isinstance(value, dict):
            return None
        value = next((v for k, v in value.items() if k.lower() == part.lower()), None)
    return value


def _filter(items: list[dict], where: str | None) -> list[dict]:
    if not where:
        return items
    clauses = _where_parse(where)

    def matches(item: dict) -> bool:
        for path, wanted in clauses:
            value = _field(item, path)
            if isinstance(wanted, bool):
                if value is not wanted:
                    return False
            elif not isinstance(value, str) or value.casefold() != wanted.casefold():
                return False
        return True

    return [item for item in items if matches(item)]


def _page(items: list, page: str | None) -> list:
    if not page:
        return items
    try:
        number_ = max(int(page), 1)
    except ValueError:
        return items
    return items[(number_ - 1) * PAGE_SIZE : number_ * PAGE_SIZE]


# --- contacts ---


def contacts_list(*, call: Call, where: str | None, ids: str | None, page: str | None) -> dict:
    items = [c.body for c in Contact.objects.filter(provider=XERO, organisation=call.organisation)]
    if ids:
        wanted = {i.strip().lower() for i in ids.split(",")}
        items = [c for c in items if c["ContactID"] in wanted]
    return _envelope(call, "Contacts", _page(_filter(items, where), page))


def contact_detail(*, call: Call, contact_id: str) -> dict:
    contact = Contact.objects.filter(
        provider=XERO, organisation=call.organisation, external_id=contact_id.lower()
    ).first()
    if contact is None:
        raise _not_found()
    return _envelope(call, "Contacts", [contact.body])


def _contact_by_name(organisation: Organisation, name: str) -> Contact | None:
    return Contact.objects.filter(provider=XERO, organisation=organisation, name__iexact=name.strip()).first()


def _contact_create(organisation: Organisation, element: dict) -> Contact:
    now = clock.now()
    contact_id = str(uuid.uuid4())
    body = {
        **element,
        "ContactID": contact_id,
        "ContactStatus": "ACTIVE",
        "Name": element["Name"].strip(),
        "IsSupplier": False,
        "IsCustomer": False,
        "HasAttachments": False,
        "UpdatedDateUTC": ms_date(now),
    }
    return Contact.objects.create(
        provider=XERO,
        organisation=organisation,
        kind="Contact",
        external_id=contact_id,
        name=body["Name"],
        body=body,
        created_at=now,
        updated_at=now,
    )


def _contact_save(call: Call, element: dict, key: str = "") -> tuple[list[str], dict | None]:
    organisation = call.organisation
    existing = None
    if element.get("ContactID"):
        existing = Contact.objects.filter(
            provider=XERO, organisation=organisation, external_id=str(element["ContactID"]).lower()
        ).first()
        if existing is None:
            return ["The contact could not be found"], None
    name = element.get("Name", existing.name if existing else "")
    if not isinstance(name, str) or not name.strip():
        return ["The contact name must be specified"], None
    clash = _contact_by_name(organisation, name)
    if clash is not None and clash != existing:
        return [
            f"The contact name {name.strip()} is already assigned to another contact. "
            "The contact name must be unique across all active contacts."
        ], None
    if existing is None:
        return [], _contact_create(organisation, element).body
    existing.body = {**existing.body, **element, "Name": name.strip(), "UpdatedDateUTC": ms_date(clock.now())}
    existing.name = name.strip()
    existing.updated_at = clock.now()
    existing.save()
    return [], existing.body


def contacts_save(*, call: Call, raw: bytes, idempotency_key: str, summarize_errors: bool) -> tuple[int, dict, bool]:
    return _save_all(call, raw, "Contacts", _contact_save, idempotency_key, summarize_errors)


# --- invoices and bank transactions ---


def _contact_resolve(call: Call, given) -> tuple[list[str], Contact | dict | None]:
    """An existing Contact, or the element of one to create by name. Each is looked up once per request (a
    request of many documents names the same contact again and again); ``_contact_link`` remembers the ones
    it makes."""
    if not isinstance(given, dict) or not (given.get("ContactID") or given.get("Name")):
        return ["A Contact must be specified for this type of transaction"], None
    organisation = call.organisation
    if given.get("ContactID"):
        contact_id = str(given["ContactID"]).lower()
        contact = call.unit.once(
            ("id", contact_id),
            lambda: Contact.objects.filter(provider=XERO, organisation=organisation, external_id=contact_id).first(),
        )
        if contact is None:
            return [f"Contact with ID {given['ContactID']} could not be found"], None
        return [], _canonical(call, contact)
    name = given["Name"]
    if not isinstance(name, str):
        return ["The contact name must be specified"], None
    contact = call.unit.once(("name", name.strip().lower()), lambda: _contact_by_name(organisation, name))
    return [], _canonical(call, contact) or {"Name": name}


def _canonical(call: Call, contact: Contact | None) -> Contact | None:
    """One object per contact row in a request, found by id or by name, so a change to it is seen by both."""
    return call.unit.once(("row", contact.pk), lambda: contact) if contact else None


def _lines(element: dict, *, approved: bool) -> tuple[list[str], dict]:
    """Validated line items with Xero's arithmetic: LineAmount, TaxAmount, SubTotal, TotalTax, Total."""
    messages = []
    amount_types = element.get("LineAmountTypes") or "Exclusive"
    if amount_types not in LINE_AMOUNT_TYPES:
        messages.append(f"LineAmountTypes '{amount_types}' is not valid")
    given = element.get("LineItems")
    if not isinstance(given, list) or not given:
        return [*messages, "You must specify at least one line item"], {}
    lines, gross, total_tax = [], Decimal(0), Decimal(0)
    for line in given:
        if not isinstance(line, dict):
            messages.append("Line items must be objects")
            continue
        if not line.get("Description") and not line.get("ItemCode"):
            messages.append("Description is required for line items without an item code")
        try:
            quantity = to_decimal(line.get("Quantity"))
            unit = to_decimal(line.get("UnitAmount"))
            line_amount = to_decimal(line.get("LineAmount"))
            given_tax = to_decimal(line.get("TaxAmount"))
        except ValueError:
            messages.append("Quantity, UnitAmount, LineAmount and TaxAmount must be numbers")
            continue
        quantity = Decimal(1) if quantity is None else quantity
        if unit is None and line_amount is None:
            messages.append("Each line item must have a UnitAmount or a LineAmount")
            continue
        amount = cents(line_amount if line_amount is not None else quantity * unit)
        code = line.get("AccountCode")
        account = ACCOUNTS_BY_CODE.get(str(code)) if code else None
        if code and (account is None or account[2] == "BANK"):
            messages.append(f"Account code '{code}' is not a valid code for this document.")
        if approved and not code:
            messages.append("Account code must be specified on every line of an approved document")
        tax_type = line.get("TaxType") or (account[3] if account else "NONE")
        rate = TAX_RATE_BY_TYPE.get(tax_type)
        if rate is None:
            messages.append(
                f"The TaxType code '{tax_type}' does not exist or cannot be used for this type of transaction."
            )
            continue
        if amount_types == "NoTax":
            tax = Decimal(0)
        elif given_tax is not None:
            tax = cents(given_tax)
        elif amount_types == "Inclusive":
            tax = cents(amount - amount / (1 + rate / 100))
        else:
            tax = cents(amount * rate / 100)
        gross += amount
        total_tax += tax
        lines.append(
            {
                **line,
                "LineItemID": str(uuid.uuid4()),
                "Quantity": number(quantity),
                "UnitAmount": number(unit if unit is not None else cents(amount / quantity) if quantity else amount),
                "LineAmount": number(amount),
                "TaxType": tax_type,
                "TaxAmount": number(tax),
            }
        )
    if messages:
        return messages, {}
    subtotal = gross - total_tax if amount_types == "Inclusive" else gross
    total = gross if amount_types == "Inclusive" else gross + total_tax
    return [], {
        "LineAmountTypes": amount_types,
        "LineItems": lines,
        "SubTotal": subtotal,
        "TotalTax": total_tax,
        "Total": total,
    }


def _dates(element: dict) -> tuple[list[str], dict]:
    out, messages = {}, []
    for key in ("Date", "DueDate"):
        try:
            value = parse_date(element.get(key))
        except ValueError:
            messages.append(f"The {key} field is not a valid date")
            continue
        if value is None and key == "Date":
            value = clock.now().date()
        if value is not None:
            out[key] = ms_date(value)
            out[f"{key}String"] = f"{value.isoformat()}T00:00:00"
    return messages, out


def _currency(element: dict, organisation: Organisation) -> tuple[list[str], str]:
    currency = element.get("CurrencyCode") or organisation.currency
    if currency not in CURRENCIES:
        return [f"Organisation is not subscribed to currency {currency}"], currency
    return [], currency


def _reference(body: dict) -> str:
    return str(body.get("Reference") or body.get("InvoiceNumber") or "")


def _document_store(
    call: Call,
    *,
    existing: Document | None,
    external_id: str,
    kind: str,
    element: dict,
    body: dict,
    total: Decimal,
    key: str,
) -> None:
    """Save the changes to ``existing``, or make a new document, inserted with the request's others."""
    now = clock.now()
    if existing is None:
        call.unit.insert_later(
            Document(
                provider=XERO,
                organisation=call.organisation,
                external_id=external_id,
                type=kind,
                reference=_reference(body),
                total=total,
                currency=body["CurrencyCode"],
                received=element,
                body=body,
                idempotency_key=key,
                created_at=now,
                updated_at=now,
            )
        )
        return
    existing.type, existing.reference, existing.total = kind, _reference(body), total
    existing.currency, existing.received, existing.body, existing.updated_at = body["CurrencyCode"], element, body, now
    existing.save()


def _contact_link(call: Call, contact: Contact | dict, *, supplier: bool) -> dict:
    if isinstance(contact, dict):
        contact = _contact_create(call.organisation, contact)
        for key in (("name", contact.name.lower()), ("id", contact.external_id), ("row", contact.pk)):
            call.unit.remember(key, contact)
    flag = "IsSupplier" if supplier else "IsCustomer"
    if not contact.body.get(flag):
        contact.body[flag] = True
        contact.save(update_fields=["body"])
    return {"ContactID": contact.external_id, "Name": contact.name}


def _existing(call: Call, element: dict, id_key: str, types: set[str]) -> tuple[list[str], Document | None]:
    if not element.get(id_key):
        return [], None
    document = Document.objects.filter(
        provider=XERO, organisation=call.organisation, external_id=str(element[id_key]).lower(), type__in=types
    ).first()
    return ([], document) if document else ([f"{id_key} {element[id_key]} could not be found"], None)


def _invoice_save(call: Call, element: dict, key: str = "") -> tuple[list[str], dict | None]:
    organisation = call.organisation
    messages, existing = _existing(call, element, "InvoiceID", INVOICE_TYPES)
    if messages:
        return messages, None
    if existing is not None:
        element = {**existing.received, **element}
    kind = element.get("Type")
    if kind not in INVOICE_TYPES:
        messages.append("Invoice Type must be ACCPAY or ACCREC")
    status = element.get("Status") or "DRAFT"
    if status not in INVOICE_STATUSES:
        messages.append(f"Invoice Status '{status}' is not valid here: use DRAFT, SUBMITTED or AUTHORISED")
    contact_messages, contact = _contact_resolve(call, element.get("Contact"))
    line_messages, amounts = _lines(element, approved=status == "AUTHORISED")
    date_messages, dates = _dates(element)
    currency_messages, currency = _currency(element, organisation)
    messages += contact_messages + line_messages + date_messages + currency_messages
    number_ = element.get("InvoiceNumber") or ""
    if kind == "ACCREC" and number_:
        clash = Document.objects.filter(
            provider=XERO, organisation=organisation, type="ACCREC", body__InvoiceNumber=number_
        ).exclude(pk=getattr(existing, "pk", None))
        made = any(d.type == "ACCREC" and d.body["InvoiceNumber"] == number_ for d in call.unit.documents)
        if made or clash.exists():
            messages.append("Invoice # must be unique.")
    if messages:
        return messages, None
    if kind == "ACCREC" and not number_:
        number_ = f"INV-{counters.sequence_next(f'xero:invoice-number:{organisation.external_id}'):04d}"
    invoice_id = existing.external_id if existing else str(uuid.uuid4())
    body = {
        **{k: v for k, v in element.items() if k not in {"Contact", "LineItems"}},
        "Type": kind,
        "InvoiceID": invoice_id,
        "InvoiceNumber": number_,
        "Reference": element.get("Reference") or "",
        "Contact": _contact_link(call, contact, supplier=kind == "ACCPAY"),
        **dates,
        "Status": status,
        "LineAmountTypes": amounts["LineAmountTypes"],
        "LineItems": amounts["LineItems"],
        "SubTotal": number(amounts["SubTotal"]),
        "TotalTax": number(amounts["TotalTax"]),
        "Total": number(amounts["Total"]),
        "AmountDue": number(amounts["Total"]),
        "AmountPaid": 0.0,
        "AmountCredited": 0.0,
        "CurrencyCode": currency,
        "CurrencyRate": 1.0,
        "HasAttachments": bool(existing and existing.attachments.exists()),
        "HasErrors": False,
        "IsDiscounted": False,
        "UpdatedDateUTC": ms_date(clock.now()),
    }
    _document_store(
        call,
        existing=existing,
        external_id=invoice_id,
        kind=kind,
        element=element,
        body=body,
        total=amounts["Total"],
        key=key,
    )
    return [], body


def _bank_account(organisation: Organisation, given) -> dict | None:
    if not isinstance(given, dict):
        return None
    for code, name, kind, _ in ACCOUNTS:
        if kind != "BANK":
            continue
        account_id = _account_id(organisation, code)
        if given.get("Code") == code or str(given.get("AccountID", "")).lower() == account_id:
            return {"AccountID": account_id, "Code": code, "Name": name}
    return None


def _bank_transaction_save(call: Call, element: dict, key: str = "") -> tuple[list[str], dict | None]:
    organisation = call.organisation
    messages, existing = _existing(call, element, "BankTransactionID", BANK_TRANSACTION_TYPES)
    if messages:
        return messages, None
    if existing is not None:
        element = {**existing.received, **element}
    kind = element.get("Type")
    if kind not in BANK_TRANSACTION_TYPES:
        messages.append("BankTransaction Type must be SPEND or RECEIVE")
    bank_account = _bank_account(organisation, element.get("BankAccount"))
    if bank_account is None:
        messages.append("A valid BankAccount must be specified")
    contact_messages, contact = _contact_resolve(call, element.get("Contact"))
    line_messages, amounts = _lines(element, approved=True)
    date_messages, dates = _dates(element)
    currency_messages, currency = _currency(element, organisation)
    messages += contact_messages + line_messages + date_messages + currency_messages
    if messages:
        return messages, None
    transaction_id = existing.external_id if existing else str(uuid.uuid4())
    body = {
        **{k: v for k, v in element.items() if k not in {"Contact", "LineItems", "BankAccount"}},
        "Type": kind,
        "BankTransactionID": transaction_id,
        "Contact": _contact_link(call, contact, supplier=kind == "SPEND"),
        "BankAccount": bank_account,
        **dates,
        "Reference": element.get("Reference") or "",
        "Status": "AUTHORISED",
        "IsReconciled": bool(element.get("IsReconciled", False)),
        "LineAmountTypes": amounts["LineAmountTypes"],
        "LineItems": amounts["LineItems"],
        "SubTotal": number(amounts["SubTotal"]),
        "TotalTax": number(amounts["TotalTax"]),
        "Total": number(amounts["Total"]),
        "CurrencyCode": currency,
        "CurrencyRate": 1.0,
        "HasAttachments": bool(existing and existing.attachments.exists()),
        "UpdatedDateUTC": ms_date(clock.now()),
    }
    _document_store(
        call,
        existing=existing,
        external_id=transaction_id,
        kind=kind,
        element=element,
        body=body,
        total=amounts["Total"],
        key=key,
    )
    return [], body


def _save_all(
    call: Call,
    raw: bytes,
    key: str,
    save: Callable[..., tuple[list[str], dict | None]],
    idempotency_key: str,
    summarize_errors: bool,
) -> tuple[int, dict, bool]:
    _key_check(idempotency_key)
    elements = _elements(_parse(raw), key)

    def run() -> tuple[int, dict]:  # in the replay's transaction
        # A refused element wrote nothing (every save checks before it writes), so the others stand.
        results = [save(call, element, idempotency_key) for element in elements]
        if summarize_errors and any(messages for messages, _ in results):
            raise _validation(
                [
                    {**element, "ValidationErrors": [{"Message": m} for m in messages]}
                    for element, (messages, _) in zip(elements, results, strict=True)
                    if messages
                ]
            )
        call.unit.insert()
        items = [
            {**body, "StatusAttributeString": "OK"}
            if not messages
            else {**element, "StatusAttributeString": "ERROR", "ValidationErrors": [{"Message": m} for m in messages]}
            for element, (messages, body) in zip(elements, results, strict=True)
        ]
        if summarize_errors:
            items = [{k: v for k, v in item.items() if k != "StatusAttributeString"} for item in items]
        return 200, _envelope(call, key, items)

    return idempotency.replay_or_run(provider=XERO, organisation=call.organisation, key=idempotency_key, run=run)


def invoices_save(*, call: Call, raw: bytes, idempotency_key: str, summarize_errors: bool) -> tuple[int, dict, bool]:
    return _save_all(call, raw, "Invoices", _invoice_save, idempotency_key, summarize_errors)


def bank_transactions_save(
    *, call: Call, raw: bytes, idempotency_key: str, summarize_errors: bool
) -> tuple[int, dict, bool]:
    return _save_all(call, raw, "BankTransactions", _bank_transaction_save, idempotency_key, summarize_errors)


def _documents(call: Call, types: set[str]):
    return Document.objects.filter(provider=XERO, organisation=call.organisation, type__in=types)


def invoices_list(*, call: Call, where: str | None, ids: str | None, numbers: str | None, page: str | None) -> dict:
    items = [d.body for d in _documents(call, INVOICE_TYPES)]
    if ids:
        wanted = {i.strip().lower() for i in ids.split(",")}
        items = [i for i in items if i["InvoiceID"] in wanted]
    if numbers:
        wanted = {n.strip() for n in numbers.split(",")}
        items = [i for i in items if i["InvoiceNumber"] in wanted]
    return _envelope(call, "Invoices", _page(_filter(items, where), page))


def bank_transactions_list(*, call: Call, where: str | None, page: str | None) -> dict:
    items = [d.body for d in _documents(call, BANK_TRANSACTION_TYPES)]
    return _envelope(call, "BankTransactions", _page(_filter(items, where), page))


def invoice_detail(*, call: Call, invoice_id: str) -> dict:
    documents = _documents(call, INVOICE_TYPES)
    document = (
        documents.filter(external_id=invoice_id.lower()).first()
        or documents.filter(body__InvoiceNumber=invoice_id).first()
    )
    if document is None:
        raise _not_found()
    return _envelope(call, "Invoices", [document.body])


def bank_transaction_detail(*, call: Call, transaction_id: str) -> dict:
    document = _documents(call, BANK_TRANSACTION_TYPES).filter(external_id=transaction_id.lower()).first()
    if document is None:
        raise _not_found()
    return _envelope(call, "BankTransactions", [document.body])


# --- attachments (raw bytes in the body) ---


def attachment_put(
    *, call: Call, endpoint: str, document_id: str, file_name: str, content: bytes, content_type: str
) -> dict:
    types = INVOICE_TYPES if endpoint == "Invoices" else BANK_TRANSACTION_TYPES
    document = _documents(call, types).filter(external_id=document_id.lower()).first()
    if document is None:
        raise _not_found()
    if len(content) > ATTACHMENT_LIMIT:
        raise _problem(413, "Payload Too Large", "Attachments may be up to 25 MB")
    if not content:
        raise _validation([{"ValidationErrors": [{"Message": "The attachment is empty"}]}])
    now = clock.now()
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        attachment = document.attachments.filter(file_name=file_name).first()
        if attachment is None and document.attachments.count() >= ATTACHMENTS_PER_DOCUMENT:
            raise _validation([{"ValidationErrors": [{"Message": "A document may have up to 10 attachments"}]}])
        if attachment is None:
            attachment = Attachment(document=document, external_id=str(uuid.uuid4()), file_name=file_name)
        attachment.content, attachment.size = content, len(content)
        attachment.content_type, attachment.created_at = content_type or "application/octet-stream", now
        attachment.save()
        document.body = {**document.body, "HasAttachments": True}
        document.updated_at = now
        document.save(update_fields=["body", "updated_at"])
    url = f"{settings.SITE_URL}/sandbox/xero/api.xro/2.0/{endpoint}/{document.external_id}/Attachments/"
    return _envelope(
        call,
        "Attachments",
        [
            {
                "AttachmentID": attachment.external_id,
                "FileName": file_name,
                "Url": url + quote(file_name),
                "MimeType": attachment.content_type,
                "ContentLength": attachment.size,
            }
        ],
    )
