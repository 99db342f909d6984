"""Creating and updating QuickBooks Online entities: ``POST …/{entity}`` (with ``Id`` and the current
``SyncToken``: an update) and ``POST …/batch``, each idempotent under its ``requestid``. Names are unique across
vendors and customers (6240). Reference rule: a document's ``reference`` is its ``PrivateNote``."""

from decimal import Decimal

from integrations.sandbox import clock, counters, idempotency
from integrations.sandbox.errors import SandboxError
from integrations.sandbox.models import Contact, Document, Organisation
from integrations.sandbox.quickbooks_online import constants, queries
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
from integrations.sandbox.quickbooks_online.companies import company_of
from integrations.sandbox.quickbooks_online.constants import (
    BATCH_MAX,
    CONTACT_ENTITIES,
    CREATABLE,
    PACIFIC,
    PAYMENT_TYPES,
    QBO,
)
from integrations.sandbox.quickbooks_online.lines import (
    SELLABLE,
    Tax,
    amount_of,
    business_error,
    currency_check,
    ref,
    tax_for,
)
from integrations.sandbox.quickbooks_online.reference import contacts_of, currency_ref, documents_of, fixed_row
from integrations.sandbox.values import number, parse_date


def _date(element: dict, key: str):
    try:
        return parse_date(element.get(key))
    except ValueError:
        raise intuit_fault(
            "Invalid Date", f"{key} is not a valid date: {element.get(key)}", "2070", element=key
        ) from None


def _lines(element: dict) -> list[dict]:
    given = element.get("Line")
    if not isinstance(given, list) or not given or not all(isinstance(line, dict) for line in given):
        raise required_missing("Line")
    return given


def _tracking(call: Call, detail: dict) -> None:
    for key, entity in (("ClassRef", "Class"), ("DepartmentRef", "Department")):
        if detail.get(key) is not None:
            detail[key] = ref(call, detail[key], entity, key)


def _expense_lines(call: Call, element: dict, tax: Tax) -> list[dict]:
    lines = []
    for position, line in enumerate(_lines(element), start=1):
        kind = line.get("DetailType")
        if kind not in ("AccountBasedExpenseLineDetail", "ItemBasedExpenseLineDetail"):
            raise intuit_fault("Invalid Enumeration", f"Invalid DetailType: {kind}", "2080", element="Line.DetailType")
        amount = amount_of(line)
        detail = dict(line.get(kind) or {})
        if kind == "AccountBasedExpenseLineDetail":
            detail["AccountRef"] = ref(call, detail.get("AccountRef"), "Account", "AccountRef")
            detail.setdefault("BillableStatus", "NotBillable")
        else:
            detail["ItemRef"] = ref(call, detail.get("ItemRef"), "Item", "ItemRef")
        _tracking(call, detail)
        tax.line(call, detail, amount)
        lines.append({**line, "Id": str(position), "LineNum": position, "Amount": number(amount), kind: detail})
    return lines


def _sales_lines(call: Call, element: dict, tax: Tax) -> tuple[list[dict], Decimal]:
    """The lines, and what their TAX lines add up to (a US sales tax code applies to those)."""
    lines, taxable = [], Decimal(0)
    for position, line in enumerate(_lines(element), start=1):
        kind = line.get("DetailType")
        if kind not in ("SalesItemLineDetail", "DescriptionOnly"):
            raise intuit_fault("Invalid Enumeration", f"Invalid DetailType: {kind}", "2080", element="Line.DetailType")
        amount = amount_of(line) if kind == "SalesItemLineDetail" else Decimal(0)
        detail = dict(line.get(kind) or {})
        if kind == "SalesItemLineDetail":
            detail["ItemRef"] = ref(call, detail.get("ItemRef"), "Item", "Line.SalesItemLineDetail.ItemRef")
            item = fixed_row(call.organisation, "Item", detail["ItemRef"]["value"])
            if item["Type"] not in SELLABLE or not item.get("IncomeAccountRef"):
                raise business_error(f"{item['Name']} cannot be sold: choose a product or service.", "ItemRef")
            _tracking(call, detail)
            tax.line(call, detail, amount)
            if (detail.get("TaxCodeRef") or {}).get("value") == "TAX":
                taxable += amount
        lines.append({**line, "Id": str(position), "LineNum": position, "Amount": number(amount), kind: detail})
    return lines, taxable


def _account_ref(organisation: Organisation, account_id: str) -> dict:
    return {"value": account_id, "name": fixed_row(organisation, "Account", account_id)["Name"]}


def _transaction_body(call: Call, entity: str, element: dict) -> tuple[dict, Decimal, str]:
    """The transaction as QuickBooks keeps it, its total and its currency."""
    organisation = call.organisation
    company = company_of(organisation)
    txn_date = _date(element, "TxnDate") or clock.now().astimezone(PACIFIC).date()
    due_date = _date(element, "DueDate")
    body = {**element, "TxnDate": txn_date.isoformat()}
    if element.get("DepartmentRef") is not None:
        body["DepartmentRef"] = ref(call, element["DepartmentRef"], "Department", "DepartmentRef")
    tax = tax_for(organisation, element, purchases=entity != "Invoice")
    taxable = Decimal(0)
    if entity == "Bill":
        body["VendorRef"] = ref(call, element.get("VendorRef"), "Vendor", "VendorRef")
        currency = currency_check(call, element, entity="Vendor", contact=body["VendorRef"]["value"])
        body["Line"] = _expense_lines(call, element, tax)
        body["APAccountRef"] = _account_ref(organisation, company.ap_account)
        body["DueDate"] = (due_date or txn_date).isoformat()
    elif entity == "Purchase":
        payment_type = element.get("PaymentType")
        if not payment_type:
            raise required_missing("PaymentType")
        if payment_type not in PAYMENT_TYPES:
            raise intuit_fault(
                "Invalid Enumeration", f"Invalid PaymentType: {payment_type}", "2080", element="PaymentType"
            )
        account = ref(call, element.get("AccountRef"), "Account", "AccountRef")
        if fixed_row(organisation, "Account", account["value"])["AccountType"] != PAYMENT_TYPES[payment_type]:
            raise business_error(
                f"A {payment_type} purchase needs a {PAYMENT_TYPES[payment_type]} account.", "AccountRef"
            )
        body["AccountRef"] = account
        payee = None
        if element.get("EntityRef"):
            entity_type = element["EntityRef"].get("type", "Vendor") if isinstance(element["EntityRef"], dict) else ""
            if entity_type not in ("Vendor", "Customer", "Employee"):
                raise invalid_reference("Entity", element["EntityRef"])
            body["EntityRef"] = {**ref(call, element["EntityRef"], entity_type, "EntityRef"), "type": entity_type}
            payee = (entity_type, body["EntityRef"]["value"])
        currency = currency_check(call, element, entity=payee[0] if payee else "Vendor", contact=payee and payee[1])
        account_currency = (fixed_row(organisation, "Account", account["value"])["CurrencyRef"] or {}).get("value")
        if account_currency not in (currency, organisation.currency):
            raise business_error("You can only use one foreign currency per transaction.", "AccountRef")
        body["Line"] = _expense_lines(call, element, tax)
    else:  # Invoice
        body["CustomerRef"] = ref(call, element.get("CustomerRef"), "Customer", "CustomerRef")
        currency = currency_check(call, element, entity="Customer", contact=body["CustomerRef"]["value"])
        body["Line"], taxable = _sales_lines(call, element, tax)
        body["DueDate"] = (due_date or txn_date).isoformat()
        body["ARAccountRef"] = _account_ref(organisation, company.ar_account)
        if not element.get("DocNumber"):
            body["DocNumber"] = str(1000 + counters.sequence_next(f"qbo:docnumber:{organisation.external_id}"))
    body["TxnTaxDetail"], total = tax.totals(call, element, taxable)
    if not company.is_us:
        body["GlobalTaxCalculation"] = tax.calculation
    body["CurrencyRef"] = currency_ref(currency)
    if currency != organisation.currency:
        body["ExchangeRate"] = element.get("ExchangeRate") or 1
    body["TotalAmt"] = number(total)
    if entity != "Purchase":
        body["Balance"] = number(total)
    return body, total, currency


def _contact_body(organisation: Organisation, entity: str, element: dict, existing: Contact | None) -> dict:
    merged = {**(existing.body if existing else {}), **element}
    name = merged.get("DisplayName") or merged.get("CompanyName")
    if not name:
        name = " ".join(p for p in (merged.get("GivenName"), merged.get("FamilyName")) if p)
    if not isinstance(name, str) or not name.strip():
        raise required_missing("DisplayName")
    name = name.strip()
    clash = contacts_of(organisation).filter(name__iexact=name).exclude(pk=getattr(existing, "pk", None))
    if clash.exists():  # active or not, vendor, customer or employee
        raise intuit_fault(
            "Duplicate Name Exists Error",
            "The name supplied already exists. : Another customer, vendor or employee is already using this name. "
            "Please use a different name.",
            "6240",
        )
    if existing is None and entity != "Employee":
        merged = {"Balance": 0, "CurrencyRef": currency_ref(organisation.currency), **merged}
    return {
        "Active": True,
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
        rows = contacts_of(organisation, entity) if is_contact else documents_of(organisation, entity)
        existing = rows.select_for_update().filter(external_id=str(element["Id"])).first()
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
        body, total, currency = _transaction_body(call, entity, merged)
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
        "currency": currency,
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
    """``POST …/batch``: create operations and queries (``{"bId", "Query"}``), each answered on its own (its entity,
    its ``QueryResponse``, or its Fault), in order."""
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
            if isinstance(operation.get("Query"), str) and not operation.get("operation"):
                try:
                    answers.append(
                        answer
                        | {"QueryResponse": queries.query(call=call, statement=operation["Query"])["QueryResponse"]}
                    )
                except SandboxError as error:
                    answers.append(answer | {"Fault": error.body["Fault"]})
                continue
            entity = next((name for name in CREATABLE.values() if isinstance(operation.get(name), dict)), None)
            if operation.get("operation") != "create" or entity is None:
                fault = intuit_fault("Unsupported Operation", "The sandbox's batch takes creates and queries", "500")
                answers.append(answer | {"Fault": fault.body["Fault"]})
                continue
            try:  # a refused operation wrote nothing (_save checks first), so the others stand
                answers.append(answer | {entity: _save(call, entity, operation[entity], later=True)})
            except SandboxError as error:
                answers.append(answer | {"Fault": error.body["Fault"]})
        _insert_later_made(call)
        return 200, {"BatchItemResponse": answers, "time": qbo_time()}

    return idempotency.replay_or_run(provider=QBO, organisation=call.organisation, key=request_id, run=run)
