"""QuickBooks Online: the Accounting API calls the product makes, with Intuit's checks and envelopes.

- Every call needs ``Authorization: Bearer <access token>`` (else 401 with Intuit's lowercase
  ``{"fault": {"error": [...]}}``) for a realm the token was granted (else 403, code 3100).
- ``POST /v3/company/{realmId}/bill|purchase|invoice|vendor|customer`` creates (or, with ``Id`` and
  the current ``SyncToken``, updates); ``?minorversion=`` is accepted and ignored; ``?requestid=``
  (≤ 50 characters) makes it idempotent: the same requestid gets the first answer again.
- ``GET …/{entity}/{id}``, ``GET …/query?query=select * from Vendor where DisplayName = '…'``
  (also ``POST …/query`` with the statement as the body; ``=``, ``like`` and ``in`` joined by ``and``,
  ``STARTPOSITION``, ``MAXRESULTS``, ``count(*)``), ``POST …/upload`` (multipart ``file_metadata_01``
  + ``file_content_01``, …; ``?requestid=`` makes it idempotent too).
- Names are unique across vendors and customers: a clash answers 6240 (Duplicate Name Exists).
- Limits per realm: 500 calls a minute, 10 at once → 429 (code 3001) with ``Retry-After``.
- Reference rule: a document's ``reference`` is its ``PrivateNote``.
- Answers are JSON whatever the ``Accept`` header (the real service may answer XML without
  ``Accept: application/json``: send it).
"""

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar
from zoneinfo import ZoneInfo

from django.db import transaction

from integrations.sandbox import clock, counters, faults, idempotency, oauth
from integrations.sandbox.errors import SandboxError
from integrations.sandbox.models import Attachment, Contact, Document, Grant, Organisation, Provider
from integrations.sandbox.unit import Unit
from integrations.sandbox.values import cents, number, parse_date, to_decimal

QBO = Provider.QUICKBOOKS_ONLINE
POLICY = oauth.POLICIES[QBO]
MINUTE_LIMIT, CONCURRENT_LIMIT = 500, 10
REQUEST_ID_MAX = 50
PACIFIC = ZoneInfo("America/Los_Angeles")
USD = {"value": "USD", "name": "United States Dollar"}
AP_ACCOUNT = {"value": "33", "name": "Accounts Payable (A/P)"}
AR_ACCOUNT = {"value": "84", "name": "Accounts Receivable (A/R)"}

# id, name, AccountType, AccountSubType
ACCOUNTS = [
    ("35", "Checking", "Bank", "Checking"),
    ("36", "Savings", "Bank", "Savings"),
    ("41", "Mastercard", "Credit Card", "CreditCard"),
    ("33", "Accounts Payable (A/P)", "Accounts Payable", "AccountsPayable"),
    ("84", "Accounts Receivable (A/R)", "Accounts Receivable", "AccountsReceivable"),
    ("1", "Services", "Income", "ServiceFeeIncome"),
    ("79", "Sales of Product Income", "Income", "SalesOfProductIncome"),
    ("7", "Advertising", "Expense", "AdvertisingPromotional"),
    ("8", "Bank Charges", "Expense", "BankCharges"),
    ("13", "Meals and Entertainment", "Expense", "EntertainmentMeals"),
    ("15", "Insurance", "Expense", "Insurance"),
    ("20", "Office Expenses", "Expense", "OfficeGeneralAdministrativeExpenses"),
    ("24", "Supplies", "Expense", "SuppliesMaterials"),
    ("58", "Travel", "Expense", "Travel"),
    ("60", "Utilities", "Expense", "Utilities"),
]
ACCOUNTS_BY_ID = {a[0]: a for a in ACCOUNTS}
ITEMS = [("1", "Services", "1"), ("2", "Hours", "1")]  # id, name, income account id
ITEMS_BY_ID = {i[0]: i for i in ITEMS}

DOCUMENT_ENTITIES = {"bill": "Bill", "purchase": "Purchase", "invoice": "Invoice"}
CONTACT_ENTITIES = {"vendor": "Vendor", "customer": "Customer"}
CREATABLE = DOCUMENT_ENTITIES | CONTACT_ENTITIES
QUERYABLE = {name.lower(): name for name in [*CREATABLE.values(), "Account", "Item"]}
PAYMENT_TYPES = {"Cash": "Bank", "Check": "Bank", "CreditCard": "Credit Card"}


def _time(moment=None) -> str:
    moment = (moment or clock.now()).astimezone(PACIFIC)
    return moment.isoformat(timespec="milliseconds")


def _fault(
    message: str, detail: str, code: str, *, element: str = "", status: int = 400, kind: str = "ValidationFault"
) -> SandboxError:
    return SandboxError(
        status,
        {
            "Fault": {
                "Error": [{"Message": message, "Detail": detail, "code": code, "element": element}],
                "type": kind,
            },
            "time": _time(),
        },
    )


def _required(name: str) -> SandboxError:
    return _fault(
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {name} is missing in the request",
        "2020",
        element=name,
    )


def _invalid_reference(what: str, value) -> SandboxError:
    return _fault("Invalid Reference Id", f"Invalid Reference Id : {what} element id {value} not found", "2500")


def _not_found() -> SandboxError:
    return _fault(
        "Object Not Found",
        "Object Not Found : Something you're trying to use has been made inactive. "
        "Check the fields with accounts, customers, items, vendors or employees.",
        "610",
    )


def _query_error(detail: str) -> SandboxError:
    return _fault("Error parsing query", f"QueryParserError: {detail}", "4000")


def _throttled(retry_after: int) -> SandboxError:
    error = _fault(
        "message=ThrottleExceeded; errorCode=003001; statusCode=429",
        "The request limit was reached.",
        "3001",
        status=429,
        kind="SERVICE",
    )
    error.headers["Retry-After"] = str(retry_after)
    return error


def _fault_error(hit: faults.FaultHit) -> SandboxError:
    if hit.mode == "rate_limit":
        return _throttled(hit.retry_after)
    if hit.mode == "timeout":
        return _fault("Gateway Timeout", "The request timed out", "10000", status=504, kind="SystemFault")
    return _fault(
        "An application error has occurred while processing your request",
        "System Failure Error: An unexpected error occurred while accessing or saving your data.",
        "10000",
        status=500,
        kind="SystemFault",
    )


# --- the guard every API call goes through ---


@dataclass
class Call:
    provider: ClassVar[str] = QBO
    grant: Grant
    organisation: Organisation
    headers: dict[str, str] = field(default_factory=dict)
    unit: Unit = field(default_factory=Unit)


@contextmanager
def api_call(*, authorization: str | None, realm_id: str) -> Iterator[Call]:
    try:
        token, organisation = oauth.access_check(POLICY, authorization=authorization, organisation_id=realm_id)
    except oauth.TokenRefused as refused:
        detail = "Token expired" if refused.reason == "expired" else "Token invalid"
        raise SandboxError(
            401,
            {
                "fault": {
                    "error": [
                        {
                            "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                            "detail": detail,
                            "code": "3200",
                        }
                    ],
                    "type": "AUTHENTICATION",
                }
            },
            headers={"WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"'},
        ) from None
    if organisation is None:
        raise _fault(
            "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
            "The application is not authorized to access this company",
            "3100",
            status=403,
            kind="AUTHENTICATION",
        )
    try:
        counters.calls_count([counters.Limit(f"qbo:minute:{realm_id}", 60, MINUTE_LIMIT, "minute")])
        with counters.concurrency_slot(f"qbo:{realm_id}", CONCURRENT_LIMIT):
            hit = faults.fault_draw(QBO)
            if hit:
                raise _fault_error(hit)
            yield Call(grant=token.grant, organisation=organisation)
    except counters.LimitExceeded as exceeded:
        raise _throttled(exceeded.retry_after) from None


def _parse(raw: bytes) -> dict:
    try:
        payload = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        payload = None
    if not isinstance(payload, dict):
        raise _fault(
            "Request has invalid or unsupported property",
            "Property Name:the request body specified is unsupported or invalid",
            "2010",
        )
    return payload


def _meta(created, updated) -> dict:
    return {"CreateTime": _time(created).replace(".000", ""), "LastUpdatedTime": _time(updated).replace(".000", "")}


def _next_id(organisation: Organisation) -> str:
    return str(100 + counters.sequence_next(f"qbo:id:{organisation.external_id}"))


# --- reference data ---


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


def _contacts(organisation: Organisation, kind: str):
    return Contact.objects.filter(provider=QBO, organisation=organisation, kind=kind)


def _documents(organisation: Organisation, kind: str):
    return Document.objects.filter(provider=QBO, organisation=organisation, type=kind)


def _rows(organisation: Organisation, entity: str) -> list[dict]:
    if entity == "Account":
        return [_account(a[0]) for a in ACCOUNTS]
    if entity == "Item":
        return [_item(i[0]) for i in ITEMS]
    if entity in CONTACT_ENTITIES.values():
        return [c.body for c in _contacts(organisation, entity)]
    return [d.body for d in _documents(organisation, entity)]


# --- create and update ---


def _ref(call: Call, given, entity: str, name: str, *, required: bool = True) -> dict | None:
    if not isinstance(given, dict) or not given.get("value"):
        if required:
            raise _required(name)
        return None
    value = str(given["value"])
    if entity == "Account":
        if value not in ACCOUNTS_BY_ID:
            raise _invalid_reference("Accounts", value)
        return {"value": value, "name": ACCOUNTS_BY_ID[value][1]}
    if entity == "Item":
        if value not in ITEMS_BY_ID:
            raise _invalid_reference("Item", value)
        return {"value": value, "name": ITEMS_BY_ID[value][1]}
    # An operation does not see contacts made earlier in the same batch (as Intuit documents), so a request may
    # look each one up once.
    contact = call.unit.once(
        (entity, value), lambda: _contacts(call.organisation, entity).filter(external_id=value).first()
    )
    if contact is None:
        raise _invalid_reference(entity, value)
    return {"value": value, "name": contact.name}


def _date(element: dict, key: str):
    try:
        return parse_date(element.get(key))
    except ValueError:
        raise _fault("Invalid Date", f"{key} is not a valid date: {element.get(key)}", "2070", element=key) from None


def _amount(line: dict) -> Decimal:
    try:
        amount = to_decimal(line.get("Amount"))
    except ValueError:
        raise _fault("Invalid Number", "Line.Amount is not a valid number", "2040", element="Line.Amount") from None
    if amount is None:
        raise _required("Line.Amount")
    return cents(amount)


def _expense_lines(call: Call, element: dict) -> tuple[list[dict], Decimal]:
    given = element.get("Line")
    if not isinstance(given, list) or not given:
        raise _required("Line")
    lines, total = [], Decimal(0)
    for position, line in enumerate(given, start=1):
        if not isinstance(line, dict):
            raise _required("Line")
        kind = line.get("DetailType")
        if kind not in ("AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail"):
            raise _fault("Invalid Enumeration", f"Invalid DetailType: {kind}", "2080", element="Line.DetailType")
        amount = _amount(line)
        detail = dict(line.get(kind) or {})
        if kind == "AccountBasedExpenseLineDetail":
            detail["AccountRef"] = _ref(call, detail.get("AccountRef"), "Account", "AccountRef")
            detail.setdefault("BillableStatus", "NotBillable")
            detail.setdefault("TaxCodeRef", {"value": "NON"})
        else:
            detail["ItemRef"] = _ref(call, detail.get("ItemRef"), "Item", "ItemRef")
        lines.append({**line, "Id": str(position), "LineNum": position, "Amount": number(amount), kind: detail})
        total += amount
    return lines, total


def _sales_lines(call: Call, element: dict) -> tuple[list[dict], Decimal]:
    given = element.get("Line")
    if not isinstance(given, list) or not given:
        raise _required("Line")
    lines, total = [], Decimal(0)
    for position, line in enumerate(given, start=1):
        if not isinstance(line, dict):
            raise _required("Line")
        kind = line.get("DetailType")
        if kind not in ("SalesItemLineDetail", "DescriptionOnly"):
            raise _fault("Invalid Enumeration", f"Invalid DetailType: {kind}", "2080", element="Line.DetailType")
        amount = _amount(line) if kind == "SalesItemLineDetail" else Decimal(0)
        detail = dict(line.get(kind) or {})
        if kind == "SalesItemLineDetail":
            detail["ItemRef"] = _ref(call, detail.get("ItemRef") or {"value": "1"}, "Item", "ItemRef")
            total += amount
        lines.append({**line, "Id": str(position), "LineNum": position, "Amount": number(amount), kind: detail})
    return lines, total


def _transaction_body(call: Call, entity: str, element: dict) -> tuple[dict, Decimal]:
    txn_date = _date(element, "TxnDate") or clock.now().astimezone(PACIFIC).date()
    due_date = _date(element, "DueDate")
    body = {**element, "TxnDate": txn_date.isoformat(), "CurrencyRef": USD}
    if entity == "Bill":
        body["VendorRef"] = _ref(call, element.get("VendorRef"), "Vendor", "VendorRef")
        body["Line"], total = _expense_lines(call, element)
        body["APAccountRef"] = AP_ACCOUNT
        body["DueDate"] = (due_date or txn_date).isoformat()
        body["Balance"] = number(total)
    elif entity == "Purchase":
        payment_type = element.get("PaymentType")
        if not payment_type:
            raise _required("PaymentType")
        if payment_type not in PAYMENT_TYPES:
            raise _fault("Invalid Enumeration", f"Invalid PaymentType: {payment_type}", "2080", element="PaymentType")
        account = _ref(call, element.get("AccountRef"), "Account", "AccountRef")
        if ACCOUNTS_BY_ID[account["value"]][2] != PAYMENT_TYPES[payment_type]:
            raise _fault(
                "Invalid account type",
                f"A {payment_type} purchase needs a {PAYMENT_TYPES[payment_type]} account",
                "6000",
                element="AccountRef",
            )
        body["AccountRef"] = account
        if element.get("EntityRef"):
            entity_type = element["EntityRef"].get("type", "Vendor") if isinstance(element["EntityRef"], dict) else ""
            if entity_type not in ("Vendor", "Customer"):
                raise _invalid_reference("Entity", element["EntityRef"])
            body["EntityRef"] = {
                **_ref(call, element["EntityRef"], entity_type, "EntityRef"),
                "type": entity_type,
            }
        body["Line"], total = _expense_lines(call, element)
    else:  # Invoice
        body["CustomerRef"] = _ref(call, element.get("CustomerRef"), "Customer", "CustomerRef")
        body["Line"], total = _sales_lines(call, element)
        body["DueDate"] = (due_date or txn_date).isoformat()
        body["Balance"] = number(total)
        body["ARAccountRef"] = AR_ACCOUNT
        if not element.get("DocNumber"):
            body["DocNumber"] = str(1000 + counters.sequence_next(f"qbo:docnumber:{call.organisation.external_id}"))
    body["TotalAmt"] = number(total)
    return body, total


def _contact_body(organisation: Organisation, entity: str, element: dict, existing: Contact | None) -> dict:
    merged = {**(existing.body if existing else {}), **element}
    name = merged.get("DisplayName") or merged.get("CompanyName")
    if not name:
        name = " ".join(p for p in (merged.get("GivenName"), merged.get("FamilyName")) if p)
    if not isinstance(name, str) or not name.strip():
        raise _required("DisplayName")
    name = name.strip()
    clash = Contact.objects.filter(
        provider=QBO, organisation=organisation, kind__in=CONTACT_ENTITIES.values(), name__iexact=name
    ).exclude(pk=getattr(existing, "pk", None))
    if clash.exists():
        raise _fault(
            "Duplicate Name Exists Error",
            "The name supplied already exists. : Another product, customer, vendor or employee is already "
            "using this name. Please use a different name.",
            "6240",
        )
    return {
        "Active": True,
        "Balance": 0,
        "CurrencyRef": USD,
        **merged,
        "DisplayName": name,
        "PrintOnCheckName": merged.get("PrintOnCheckName") or name,
    }


def _save(call: Call, entity: str, element: dict, *, later: bool = False) -> dict:
    """Create or update one entity; its body. Everything is checked before anything is written. With ``later``,
    a new document waits in the request's unit for its id and its insert (``_insert_later_made``)."""
    organisation = call.organisation
    now = clock.now()
    is_contact = entity in CONTACT_ENTITIES.values()
    existing = None
    if element.get("Id"):
        model = Contact if is_contact else Document
        existing = (
            model.objects.select_for_update()
            .filter(
                provider=QBO,
                organisation=organisation,
                external_id=str(element["Id"]),
                **({"kind": entity} if is_contact else {"type": entity}),
            )
            .first()
        )
        if existing is None:
            raise _not_found()
        if str(element.get("SyncToken")) != existing.body["SyncToken"]:
            raise _fault(
                "Stale Object Error",
                f"Stale Object Error : You and another user were working on the same thing. "
                f"The current SyncToken is {existing.body['SyncToken']}.",
                "5010",
            )
    if is_contact:
        body = _contact_body(organisation, entity, element, existing)
    else:
        merged = {**(existing.received if existing else {}), **element}
        body, total = _transaction_body(call, entity, merged)
    waits = existing is None and later and not is_contact
    qbo_id = existing.body["Id"] if existing else "" if waits else _next_id(organisation)
    body.update(
        {
            "Id": qbo_id,
            "SyncToken": str(int(existing.body["SyncToken"]) + 1) if existing else "0",
            "domain": "QBO",
            "sparse": False,
            "MetaData": _meta(existing.created_at if existing else now, now),
        }
    )
    if is_contact:
        _store(Contact, existing, organisation, qbo_id, kind=entity, name=body["DisplayName"], body=body, now=now)
        return body
    values = {
        "type": entity,
        "reference": str(body.get("PrivateNote") or ""),
        "total": total,
        "currency": "USD",
        "received": merged,
        "body": body,
    }
    if waits:
        call.unit.insert_later(
            Document(provider=QBO, organisation=organisation, external_id="", created_at=now, updated_at=now, **values)
        )
    else:
        _store(Document, existing, organisation, qbo_id, now=now, **values)
    return body


def _insert_later_made(call: Call) -> None:
    """Give the documents waiting in the unit their ids (one statement for all) and insert them."""
    waiting = call.unit.documents
    if waiting:
        numbers = counters.sequence_take(f"qbo:id:{call.organisation.external_id}", len(waiting))
        for document, number_ in zip(waiting, numbers, strict=True):
            document.external_id = document.body["Id"] = str(100 + number_)
    call.unit.insert()


def _store(model, existing, organisation: Organisation, qbo_id: str, *, now, **values) -> None:
    """Create the row (its id is new, from the sequence) or save the changes to the one being updated."""
    if existing is None:
        model.objects.create(
            provider=QBO, organisation=organisation, external_id=qbo_id, created_at=now, updated_at=now, **values
        )
        return
    for name, value in values.items():
        setattr(existing, name, value)
    existing.updated_at = now
    existing.save(update_fields=[*values, "updated_at"])


def _request_id_check(request_id: str) -> None:
    if len(request_id) > REQUEST_ID_MAX:
        raise _fault("Invalid requestid", f"requestid must be {REQUEST_ID_MAX} characters or fewer", "2000")


def entity_create(*, call: Call, entity: str, raw: bytes, request_id: str) -> tuple[int, dict, bool]:
    name = CREATABLE.get(entity.lower())
    if name is None:
        raise _fault("Unsupported Operation", f"Operation create is not supported for {entity}", "500")
    _request_id_check(request_id)
    element = _parse(raw)

    def run() -> tuple[int, dict]:  # in the replay's transaction
        return 200, {name: _save(call, name, element), "time": _time()}

    return idempotency.replay_or_run(provider=QBO, organisation=call.organisation, key=request_id, run=run)


BATCH_MAX = 10  # "up to 10 payloads with a single batch operation"
BATCH_PER_MINUTE = 40  # "up to 40 [batch] requests per minute" per company


def batch(*, call: Call, raw: bytes, request_id: str) -> tuple[int, dict, bool]:
    """``POST …/batch``: create operations, each answered on its own (its entity, or its Fault), in order."""
    _request_id_check(request_id)
    operations = _parse(raw).get("BatchItemRequest")
    if not isinstance(operations, list) or not operations or not all(isinstance(o, dict) for o in operations):
        raise _required("BatchItemRequest")
    if len(operations) > BATCH_MAX:
        raise _fault("Batch too large", f"A batch takes at most {BATCH_MAX} operations", "2000")
    try:
        counters.calls_count(
            [counters.Limit(f"qbo:batch:{call.organisation.external_id}", 60, BATCH_PER_MINUTE, "batch")]
        )
    except counters.LimitExceeded as exceeded:
        raise _throttled(exceeded.retry_after) from None

    def run() -> tuple[int, dict]:  # in the replay's transaction
        answers = []
        for operation in operations:
            answer = {"bId": str(operation.get("bId", ""))}
            entity = next((name for name in CREATABLE.values() if isinstance(operation.get(name), dict)), None)
            if operation.get("operation") != "create" or entity is None:
                fault = _fault("Unsupported Operation", "The sandbox's batch takes create operations", "500")
                answers.append(answer | {"Fault": fault.body["Fault"]})
                continue
            try:  # a refused operation wrote nothing (_save checks first), so the others stand
                answers.append(answer | {entity: _save(call, entity, operation[entity], later=True)})
            except SandboxError as error:
                answers.append(answer | {"Fault": error.body["Fault"]})
        _insert_later_made(call)
        return 200, {"BatchItemResponse": answers, "time": _time()}

    return idempotency.replay_or_run(provider=QBO, organisation=call.organisation, key=request_id, run=run)


def entity_detail(*, call: Call, entity: str, entity_id: str) -> dict:
    organisation = call.organisation
    lowered = entity.lower()
    if lowered == "companyinfo":
        if entity_id != organisation.external_id:
            raise _not_found()
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
            "time": _time(),
        }
    name = QUERYABLE.get(lowered)
    if name is None:
        raise _not_found()
    for row in _rows(organisation, name):
        if row["Id"] == entity_id:
            return {name: row, "time": _time()}
    raise _not_found()


# --- the query language (the subset the product uses) ---

_QUERY = re.compile(
    r"^\s*select\s+(?P<columns>\*|count\(\*\))\s+from\s+(?P<entity>\w+)"
    r"(?:\s+where\s+(?P<where>.+?))?"
    r"(?:\s+orderby\s+(?P<order>[\w.]+)(?:\s+(?P<direction>asc|desc))?)?"
    r"(?:\s+startposition\s+(?P<start>\d+))?"
    r"(?:\s+maxresults\s+(?P<max>\d+))?\s*;?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_QUOTED = r"'(?:[^'\\]|\\.)*'"
_CONDITION = re.compile(
    rf"\s*(?P<field>[\w.]+)\s*(?P<op>=|\blike\b|\bin\b)\s*(?P<value>{_QUOTED}|\(\s*{_QUOTED}(?:\s*,\s*{_QUOTED})*\s*\)|[\w.-]+)\s*",
    re.IGNORECASE,
)
_AND = re.compile(r"\s*\band\b\s*", re.IGNORECASE)


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1]) if text.startswith("'") else text


def _conditions(where: str) -> list[tuple[str, str, object]]:
    conditions, position = [], 0
    while True:
        match = _CONDITION.match(where, position)
        if not match:
            raise _query_error(f"cannot read the condition at “{where[position:]}”")
        op, value = match.group("op").lower(), match.group("value")
        value = [_unquote(v) for v in re.findall(_QUOTED, value)] if op == "in" else _unquote(value)
        conditions.append((match.group("field"), op, value))
        position = match.end()
        if position >= len(where):
            return conditions
        joined = _AND.match(where, position)
        if not joined:
            raise _query_error(f"expected AND at “{where[position:]}”")
        position = joined.end()


def _value(row: dict, path: str):
    value = row
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = next((v for k, v in value.items() if k.lower() == part.lower()), None)
    if isinstance(value, dict):
        value = value.get("value")
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(value)


def _matches(row: dict, conditions) -> bool:
    for path, op, wanted in conditions:
        value = _value(row, path)
        if value is None:
            return False
        if op == "=" and value.casefold() != wanted.casefold():
            return False
        if op == "in" and value.casefold() not in {w.casefold() for w in wanted}:
            return False
        if op == "like":
            pattern = "".join(".*" if c == "%" else re.escape(c) for c in wanted)
            if not re.fullmatch(pattern, value, re.IGNORECASE | re.DOTALL):
                return False
    return True


def query(*, call: Call, statement: str) -> dict:
    match = _QUERY.match(statement or "")
    if not match:
        raise _query_error(f"cannot read “{statement}”")
    entity = QUERYABLE.get(match.group("entity").lower())
    if entity is None:
        raise _query_error(f"invalid entity {match.group('entity')}")
    rows = _rows(call.organisation, entity)
    if match.group("where"):
        conditions = _conditions(match.group("where"))
        rows = [row for row in rows if _matches(row, conditions)]
    if match.group("columns").lower() == "count(*)":
        return {"QueryResponse": {"totalCount": len(rows)}, "time": _time()}
    if match.group("order"):
        rows.sort(
            key=lambda r: _value(r, match.group("order")) or "",
            reverse=(match.group("direction") or "").lower() == "desc",
        )
    start = max(int(match.group("start") or 1), 1)
    size = min(int(match.group("max") or 100), 1000)
    rows = rows[start - 1 : start - 1 + size]
    if not rows:
        return {"QueryResponse": {}, "time": _time()}
    return {"QueryResponse": {entity: rows, "startPosition": start, "maxResults": len(rows)}, "time": _time()}


# --- attachments ---


@dataclass(frozen=True)
class UploadPart:
    metadata: bytes
    file_name: str
    content_type: str
    content: bytes


def upload(*, call: Call, parts: list[UploadPart], request_id: str = "") -> tuple[int, dict, bool]:
    """``POST …/upload``: an Attachable per part, linked to the documents its metadata names. With a
    ``requestid``, a replay gets the first answer and attaches nothing again."""
    if not parts:
        raise _required("file_content_01")
    _request_id_check(request_id)

    def run() -> tuple[int, dict]:  # in the replay's transaction
        return 200, _upload(call, parts)

    return idempotency.replay_or_run(provider=QBO, organisation=call.organisation, key=request_id, run=run)


def _upload(call: Call, parts: list[UploadPart]) -> dict:
    answers = []
    with transaction.atomic():
        for part in parts:
            try:
                metadata = json.loads(part.metadata or b"{}")
            except (ValueError, UnicodeDecodeError):
                metadata = None
            if not isinstance(metadata, dict):
                raise _fault("Request has invalid or unsupported property", "file_metadata is not JSON", "2010")
            refs = metadata.get("AttachableRef") or []
            documents = []
            for ref in refs:
                entity_ref = ref.get("EntityRef") if isinstance(ref, dict) else None
                if not isinstance(entity_ref, dict):
                    raise _required("AttachableRef.EntityRef")
                kind = DOCUMENT_ENTITIES.get(str(entity_ref.get("type", "")).lower())
                document = (
                    _documents(call.organisation, kind).filter(external_id=str(entity_ref.get("value"))).first()
                    if kind
                    else None
                )
                if document is None:
                    raise _invalid_reference(str(entity_ref.get("type")), entity_ref.get("value"))
                documents.append(document)
            attachable_id = _next_id(call.organisation)
            file_name = metadata.get("FileName") or part.file_name
            content_type = metadata.get("ContentType") or part.content_type
            for document in documents:
                Attachment.objects.create(
                    document=document,
                    external_id=attachable_id,
                    file_name=file_name,
                    content_type=content_type,
                    content=part.content,
                    size=len(part.content),
                    created_at=clock.now(),
                )
            answers.append(
                {
                    "Attachable": {
                        "Id": attachable_id,
                        "SyncToken": "0",
                        "FileName": file_name,
                        "ContentType": content_type,
                        "Size": len(part.content),
                        "AttachableRef": refs,
                        "FileAccessUri": f"/v3/company/{call.organisation.external_id}/download/{attachable_id}",
                        "domain": "QBO",
                        "sparse": False,
                        "MetaData": _meta(clock.now(), clock.now()),
                    }
                }
            )
    return {"AttachableResponse": answers, "time": _time()}
