"""Creating and updating QuickBooks Online entities: ``POST …/{entity}`` (with ``Id`` and the current
``SyncToken``: an update) and ``POST …/batch``, each idempotent under its ``requestid``. Names are unique across
vendors and customers (6240). Reference rule: a document's ``reference`` is its ``PrivateNote``."""

from decimal import Decimal

from integrations.sandbox import clock, counters, idempotency
from integrations.sandbox.errors import SandboxError
from integrations.sandbox.models import Contact, Document, Organisation
from integrations.sandbox.quickbooks_online import constants
from integrations.sandbox.quickbooks_online.api import (
    Call,
    intuit_fault,
    invalid_reference,
    meta,
    next_id,
    not_found,
    parse,
    qbo_time,
    request_id_check,
    required_missing,
    throttled,
)
from integrations.sandbox.quickbooks_online.constants import (
    ACCOUNTS_BY_ID,
    AP_ACCOUNT,
    AR_ACCOUNT,
    BATCH_MAX,
    CONTACT_ENTITIES,
    CREATABLE,
    ITEMS_BY_ID,
    PACIFIC,
    PAYMENT_TYPES,
    QBO,
    USD,
)
from integrations.sandbox.quickbooks_online.reference import contacts_of
from integrations.sandbox.values import cents, number, parse_date, to_decimal


def _ref(call: Call, given, entity: str, name: str, *, required: bool = True) -> dict | None:
    if not isinstance(given, dict) or not given.get("value"):
        if required:
            raise required_missing(name)
        return None
    value = str(given["value"])
    if entity == "Account":
        if value not in ACCOUNTS_BY_ID:
            raise invalid_reference("Accounts", value)
        return {"value": value, "name": ACCOUNTS_BY_ID[value][1]}
    if entity == "Item":
        if value not in ITEMS_BY_ID:
            raise invalid_reference("Item", value)
        return {"value": value, "name": ITEMS_BY_ID[value][1]}
    # An operation does not see contacts made earlier in the same batch (as Intuit documents), so a request may
    # look each one up once.
    contact = call.unit.once(
        (entity, value), lambda: contacts_of(call.organisation, entity).filter(external_id=value).first()
    )
    if contact is None:
        raise invalid_reference(entity, value)
    return {"value": value, "name": contact.name}


def _date(element: dict, key: str):
    try:
        return parse_date(element.get(key))
    except ValueError:
        raise intuit_fault(
            "Invalid Date", f"{key} is not a valid date: {element.get(key)}", "2070", element=key
        ) from None


def _amount(line: dict) -> Decimal:
    try:
        amount = to_decimal(line.get("Amount"))
    except ValueError:
        raise intuit_fault(
            "Invalid Number", "Line.Amount is not a valid number", "2040", element="Line.Amount"
        ) from None
    if amount is None:
        raise required_missing("Line.Amount")
    return cents(amount)


def _expense_lines(call: Call, element: dict) -> tuple[list[dict], Decimal]:
    given = element.get("Line")
    if not isinstance(given, list) or not given:
        raise required_missing("Line")
    lines, total = [], Decimal(0)
    for position, line in enumerate(given, start=1):
        if not isinstance(line, dict):
            raise required_missing("Line")
        kind = line.get("DetailType")
        if kind not in ("AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail"):
            raise intuit_fault("Invalid Enumeration", f"Invalid DetailType: {kind}", "2080", element="Line.DetailType")
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
        raise required_missing("Line")
    lines, total = [], Decimal(0)
    for position, line in enumerate(given, start=1):
        if not isinstance(line, dict):
            raise required_missing("Line")
        kind = line.get("DetailType")
        if kind not in ("SalesItemLineDetail", "DescriptionOnly"):
            raise intuit_fault("Invalid Enumeration", f"Invalid DetailType: {kind}", "2080", element="Line.DetailType")
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
            raise required_missing("PaymentType")
        if payment_type not in PAYMENT_TYPES:
            raise intuit_fault(
                "Invalid Enumeration", f"Invalid PaymentType: {payment_type}", "2080", element="PaymentType"
            )
        account = _ref(call, element.get("AccountRef"), "Account", "AccountRef")
        if ACCOUNTS_BY_ID[account["value"]][2] != PAYMENT_TYPES[payment_type]:
            raise intuit_fault(
                "Invalid account type",
                f"A {payment_type} purchase needs a {PAYMENT_TYPES[payment_type]} account",
                "6000",
                element="AccountRef",
            )
        body["AccountRef"] = account
        if element.get("EntityRef"):
            entity_type = element["EntityRef"].get("type", "Vendor") if isinstance(element["EntityRef"], dict) else ""
            if entity_type not in ("Vendor", "Customer"):
                raise invalid_reference("Entity", element["EntityRef"])
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
        raise required_missing("DisplayName")
    name = name.strip()
    clash = Contact.objects.filter(
        provider=QBO, organisation=organisation, kind__in=CONTACT_ENTITIES.values(), name__iexact=name
    ).exclude(pk=getattr(existing, "pk", None))
    if clash.exists():
        raise intuit_fault(
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
            raise not_found()
        if str(element.get("SyncToken")) != existing.body["SyncToken"]:
            raise intuit_fault(
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
    qbo_id = existing.body["Id"] if existing else "" if waits else next_id(organisation)
    body.update(
        {
            "Id": qbo_id,
            "SyncToken": str(int(existing.body["SyncToken"]) + 1) if existing else "0",
            "domain": "QBO",
            "sparse": False,
            "MetaData": meta(existing.created_at if existing else now, now),
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


def entity_create(*, call: Call, entity: str, raw: bytes, request_id: str) -> tuple[int, dict, bool]:
    name = CREATABLE.get(entity.lower())
    if name is None:
        raise intuit_fault("Unsupported Operation", f"Operation create is not supported for {entity}", "500")
    request_id_check(request_id)
    element = parse(raw)

    def run() -> tuple[int, dict]:  # in the replay's transaction
        return 200, {name: _save(call, name, element), "time": qbo_time()}

    return idempotency.replay_or_run(provider=QBO, organisation=call.organisation, key=request_id, run=run)


def batch(*, call: Call, raw: bytes, request_id: str) -> tuple[int, dict, bool]:
    """``POST …/batch``: create operations, each answered on its own (its entity, or its Fault), in order."""
    request_id_check(request_id)
    operations = parse(raw).get("BatchItemRequest")
    if not isinstance(operations, list) or not operations or not all(isinstance(o, dict) for o in operations):
        raise required_missing("BatchItemRequest")
    if len(operations) > BATCH_MAX:
        raise intuit_fault("Batch too large", f"A batch takes at most {BATCH_MAX} operations", "2000")
    try:
        counters.calls_count(
            [counters.Limit(f"qbo:batch:{call.organisation.external_id}", 60, constants.BATCH_PER_MINUTE, "batch")]
        )
    except counters.LimitExceeded as exceeded:
        raise throttled(exceeded.retry_after) from None

    def run() -> tuple[int, dict]:  # in the replay's transaction
        answers = []
        for operation in operations:
            answer = {"bId": str(operation.get("bId", ""))}
            entity = next((name for name in CREATABLE.values() if isinstance(operation.get(name), dict)), None)
            if operation.get("operation") != "create" or entity is None:
                fault = intuit_fault("Unsupported Operation", "The sandbox's batch takes create operations", "500")
                answers.append(answer | {"Fault": fault.body["Fault"]})
                continue
            try:  # a refused operation wrote nothing (_save checks first), so the others stand
                answers.append(answer | {entity: _save(call, entity, operation[entity], later=True)})
            except SandboxError as error:
                answers.append(answer | {"Fault": error.body["Fault"]})
        _insert_later_made(call)
        return 200, {"BatchItemResponse": answers, "time": qbo_time()}

    return idempotency.replay_or_run(provider=QBO, organisation=call.organisation, key=request_id, run=run)
