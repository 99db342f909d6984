"""Bill.com v3: session login, vendors, bills and bill documents.

- ``POST /connect/v3/login`` with ``{"username", "password", "organizationId", "devKey"}``: only
  ``sandbox`` / ``sandbox`` / ``sandbox-org`` / ``sandbox-dev-key`` succeed; anything else is 400
  ``BDC_1109`` (Invalid username or password). Later calls send the headers ``devKey`` and
  ``sessionId``; a session lapses after 35 minutes without a call (401 ``BDC_1017``).
- Look-ups use v3's ``filters`` parameter: ``filters=name:eq:"Acme Ltd"`` (several joined by commas;
  operators ``eq``, ``ne``, ``sw`` for starts-with; fields are JSON paths such as
  ``invoice.invoiceNumber``). As a shorthand, plain query parameters work too: ``GET /vendors?name=…``,
  ``GET /bills?vendorId=…&invoiceNumber=…``.
- There is no idempotency key: clients look a bill up by vendor and invoice number before creating.
  Duplicates are accepted (as far as we know the API does not refuse them), so the documents listing
  shows a double publish.
- ``POST /connect/v3/documents/bills/{billId}?name=…`` takes the file as the raw body (or the first
  file of a multipart body), up to 6 MB; ``GET`` on the same path lists the bill's documents (each upload
  is a new document: uploading the same file twice makes two).
- Limits: 3 calls at once per organisation (429 ``BDC_1322``) and 20,000 calls an hour per developer
  key (429 ``BDC_1144``).
- Error codes other than BDC_1109, BDC_1017, BDC_1322 and BDC_1144 (``BDC_1000`` for validation,
  ``BDC_1001`` for not found, ``BDC_5000`` for a server error) are the sandbox's own.

Reference rule: a bill's ``reference`` is its ``description`` if present, else the first
``billLineItems[].description``.
"""

import json
import re
import secrets
import string
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import ClassVar

from django.db import transaction

from integrations.sandbox import clock, counters, faults
from integrations.sandbox.errors import SandboxError
from integrations.sandbox.models import Attachment, BillComSession, Contact, Document, Organisation, Provider
from integrations.sandbox.organisations import organisation_get
from integrations.sandbox.unit import Unit
from integrations.sandbox.values import cents, number, parse_date, to_decimal

BILL_COM = Provider.BILL_COM
USERNAME, PASSWORD, DEV_KEY = "sandbox", "sandbox", "sandbox-dev-key"
SESSION_IDLE = timedelta(minutes=35)
CONCURRENT_LIMIT, HOURLY_LIMIT = 3, 20_000
DOCUMENT_LIMIT = 6 * 1024 * 1024
_ALPHABET = string.ascii_letters + string.digits


def _id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(17))


def _timestamp(moment=None) -> str:
    return (moment or clock.now()).isoformat(timespec="milliseconds")


def _error(status: int, code: str, message: str, category: str = "DOWNSTREAM") -> SandboxError:
    return SandboxError(
        status,
        [{"timestamp": _timestamp(), "code": code, "severity": "ERROR", "category": category, "message": message}],
    )


def _invalid(message: str) -> SandboxError:
    return _error(400, "BDC_1000", message, category="VALIDATION")


def _not_found(what: str) -> SandboxError:
    return _error(404, "BDC_1001", f"{what} not found", category="VALIDATION")


def _fault_error(hit: faults.FaultHit) -> SandboxError:
    if hit.mode == "rate_limit":
        error = _error(429, "BDC_1322", "Max concurrent requests exceeded")
        error.headers["Retry-After"] = str(hit.retry_after)
        return error
    if hit.mode == "timeout":
        return _error(504, "BDC_5000", "Gateway timeout")
    return _error(500, "BDC_5000", "Unexpected error")


def _json(raw: bytes):
    """The request body's JSON, or None when it is not JSON."""
    try:
        return json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        return None


def _parse(raw: bytes) -> dict:
    payload = _json(raw)
    if not isinstance(payload, dict):
        raise _invalid("The request body must be a JSON object")
    return payload


# --- sessions ---


def login(*, raw: bytes) -> dict:
    try:
        payload = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        payload = None
    payload = payload if isinstance(payload, dict) else {}
    given = (payload.get("username"), payload.get("password"), payload.get("devKey"))
    # The sandbox user belongs to each of the sandbox's organisations (a Bill.com user may belong to several).
    organisation = organisation_get(BILL_COM, str(payload.get("organizationId") or ""))
    if given != (USERNAME, PASSWORD, DEV_KEY) or organisation is None:
        raise _error(400, "BDC_1109", "Invalid username or password")
    now = clock.now()
    session = BillComSession.objects.create(
        session_id=_id("!"),
        organisation=organisation,
        user_id="006sandbox00000000001",
        dev_key=DEV_KEY,
        created_at=now,
        last_used_at=now,
    )
    return {"sessionId": session.session_id, "organizationId": organisation.external_id, "userId": session.user_id}


def _session(dev_key: str | None, session_id: str | None) -> BillComSession:
    now = clock.now()
    session = (
        BillComSession.objects.select_related("organisation")
        .filter(session_id=session_id or "", ended_at__isnull=True)
        .first()
    )
    if session is not None and now >= session.last_used_at + SESSION_IDLE:
        session.ended_at = now
        session.save(update_fields=["ended_at"])
        session = None
    if session is None or dev_key != session.dev_key:
        raise _error(401, "BDC_1017", "Session is invalid", category="AUTHENTICATION")
    session.last_used_at = now
    session.save(update_fields=["last_used_at"])
    return session


def logout(*, dev_key: str | None, session_id: str | None) -> dict:
    session = _session(dev_key, session_id)
    session.ended_at = clock.now()
    session.save(update_fields=["ended_at"])
    return {}


@dataclass
class Call:
    provider: ClassVar[str] = BILL_COM
    organisation: Organisation
    headers: dict[str, str] = field(default_factory=dict)
    unit: Unit = field(default_factory=Unit)


@contextmanager
def api_call(*, dev_key: str | None, session_id: str | None) -> Iterator[Call]:
    session = _session(dev_key, session_id)
    organisation = session.organisation
    try:
        counters.calls_count(
            [
                counters.Limit(f"bill_com:hour:{session.dev_key}", 3600, HOURLY_LIMIT, "hour"),
                # Counted, never refused (Bill.com documents no limit a minute): what a benchmark reads back.
                counters.Limit(f"bill_com:minute:{organisation.external_id}", 60, 10**9, "minute"),
            ]
        )
        with counters.concurrency_slot(f"bill_com:{organisation.external_id}", CONCURRENT_LIMIT):
            hit = faults.fault_draw(BILL_COM)
            if hit:
                raise _fault_error(hit)
            yield Call(organisation=organisation)
    except counters.LimitExceeded as exceeded:
        if exceeded.problem == "hour":
            error = _error(429, "BDC_1144", "Max requests per hour exceeded for this developer key")
        else:
            error = _error(429, "BDC_1322", "Max concurrent requests exceeded")
        error.headers["Retry-After"] = str(exceeded.retry_after)
        raise error from None


# --- filters ---

_FILTER = re.compile(r'\s*(?P<field>[\w.]+):(?P<op>eq|ne|sw):(?P<value>"(?:[^"\\]|\\.)*"|[^,]*)\s*(?:,|$)')


def _filters(text: str | None, shorthand: dict[str, str | None]) -> list[tuple[str, str, str]]:
    conditions = [(path, "eq", value) for path, value in shorthand.items() if value]
    position, text = 0, text or ""
    while position < len(text):
        match = _FILTER.match(text, position)
        if not match or match.end() == position:
            raise _invalid(f"Invalid filters: {text}")
        value = match.group("value").strip()
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        conditions.append((match.group("field"), match.group("op"), value))
        position = match.end()
    return conditions


def _value(row: dict, path: str) -> str | None:
    value = row
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, bool):
        return "true" if value else "false"
    return None if value is None else str(value)


def _select(rows: list[dict], conditions: list[tuple[str, str, str]], max_: str | None) -> dict:
    def keep(row: dict) -> bool:
        for path, op, wanted in conditions:
            value = _value(row, path)
            if op == "eq" and value != wanted:
                return False
            if op == "ne" and value == wanted:
                return False
            if op == "sw" and not (value or "").startswith(wanted):
                return False
        return True

    try:
        size = min(max(int(max_ or 20), 1), 100)
    except ValueError:
        size = 20
    return {"results": [row for row in rows if keep(row)][:size], "nextPage": None, "prevPage": None}


# --- vendors ---


def _vendors(organisation: Organisation):
    return Contact.objects.filter(provider=BILL_COM, organisation=organisation, kind="vendor")


def vendors_list(*, call: Call, filters: str | None, name: str | None, max_: str | None) -> dict:
    rows = [v.body for v in _vendors(call.organisation)]
    return _select(rows, _filters(filters, {"name": name}), max_)


def vendor_detail(*, call: Call, vendor_id: str) -> dict:
    vendor = _vendors(call.organisation).filter(external_id=vendor_id).first()
    if vendor is None:
        raise _not_found("Vendor")
    return vendor.body


def vendor_create(*, call: Call, raw: bytes) -> dict:
    element = _parse(raw)
    name = element.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _invalid("name is required")
    now = clock.now()
    vendor_id = _id("009")
    body = {
        "accountType": "BUSINESS",
        **element,
        "id": vendor_id,
        "name": name.strip(),
        "archived": False,
        "createdTime": _timestamp(now),
        "updatedTime": _timestamp(now),
    }
    Contact.objects.create(
        provider=BILL_COM,
        organisation=call.organisation,
        kind="vendor",
        external_id=vendor_id,
        name=body["name"],
        body=body,
        created_at=now,
        updated_at=now,
    )
    return body


# --- bills ---


def _bills(organisation: Organisation):
    return Document.objects.filter(provider=BILL_COM, organisation=organisation, type="Bill")


BULK_BILLS_MAX = 100


def bill_create(*, call: Call, raw: bytes) -> dict:
    body = _bill_save(call, _parse(raw))
    call.unit.insert()
    return body


def bills_bulk_create(*, call: Call, raw: bytes) -> list[dict]:
    """``POST /v3/bills/bulk``: every bill is made, or none (the first refusal names its bill). Each bill is
    checked before any is written, and they are inserted together."""
    payload = _json(raw)
    if not isinstance(payload, list) or not payload or not all(isinstance(e, dict) for e in payload):
        raise _invalid("The request body must be a JSON array of bills")
    if len(payload) > BULK_BILLS_MAX:
        raise _invalid(f"A bulk request takes at most {BULK_BILLS_MAX} bills")
    created = []
    for index, element in enumerate(payload):
        try:
            created.append(_bill_save(call, element))
        except SandboxError as error:
            message = error.body[0]["message"] if isinstance(error.body, list) and error.body else str(error)
            raise _invalid(f"Bill {index + 1}: {message}") from None
    call.unit.insert()
    return created


def _bill_save(call: Call, element: dict) -> dict:
    vendor_id = str(element.get("vendorId") or "")
    vendor = call.unit.once(vendor_id, lambda: _vendors(call.organisation).filter(external_id=vendor_id).first())
    if vendor is None:
        raise _invalid("vendorId is missing or is not a vendor of this organization")
    invoice = element.get("invoice")
    if not isinstance(invoice, dict) or not invoice.get("invoiceNumber"):
        raise _invalid("invoice.invoiceNumber is required")
    try:
        invoice_date = parse_date(invoice.get("invoiceDate"))
        due_date = parse_date(element.get("dueDate"))
    except ValueError:
        raise _invalid("invoice.invoiceDate and dueDate must be dates (YYYY-MM-DD)") from None
    if invoice_date is None or due_date is None:
        raise _invalid("invoice.invoiceDate and dueDate are required")
    given = element.get("billLineItems")
    if not isinstance(given, list) or not given:
        raise _invalid("billLineItems must have at least one line")
    lines, total = [], Decimal(0)
    for line in given:
        try:
            amount = to_decimal(line.get("amount")) if isinstance(line, dict) else None
        except ValueError:
            amount = None
        if amount is None:
            raise _invalid("Every bill line item needs an amount")
        total += cents(amount)
        lines.append({**line, "id": _id("00t"), "amount": number(cents(amount))})
    now = clock.now()
    bill_id = _id("00n")
    body = {
        **element,
        "id": bill_id,
        "vendorId": vendor.external_id,
        "vendorName": vendor.name,
        "invoice": {**invoice, "invoiceDate": invoice_date.isoformat()},
        "dueDate": due_date.isoformat(),
        "billLineItems": lines,
        "amount": number(total),
        "dueAmount": number(total),
        "archived": False,
        "paymentStatus": "UNPAID",
        "approvalStatus": "UNASSIGNED",
        "createdTime": _timestamp(now),
        "updatedTime": _timestamp(now),
    }
    reference = element.get("description") or next(
        (line.get("description") for line in lines if line.get("description")), ""
    )
    call.unit.insert_later(
        Document(
            provider=BILL_COM,
            organisation=call.organisation,
            external_id=bill_id,
            type="Bill",
            reference=str(reference or ""),
            total=total,
            currency="USD",
            received=element,
            body=body,
            created_at=now,
            updated_at=now,
        )
    )
    return body


def bills_list(
    *, call: Call, filters: str | None, vendor_id: str | None, invoice_number: str | None, max_: str | None
) -> dict:
    rows = [b.body for b in _bills(call.organisation)]
    shorthand = {"vendorId": vendor_id, "invoice.invoiceNumber": invoice_number}
    return _select(rows, _filters(filters, shorthand), max_)


def bill_detail(*, call: Call, bill_id: str) -> dict:
    bill = _bills(call.organisation).filter(external_id=bill_id).first()
    if bill is None:
        raise _not_found("Bill")
    return bill.body


def bill_documents_list(*, call: Call, bill_id: str) -> list[dict]:
    """``GET /v3/documents/bills/{billId}``: the documents uploaded to a bill (the real answer's shape beyond
    ``id``, ``name`` and ``createdTime`` is not known offline)."""
    bill = _bills(call.organisation).filter(external_id=bill_id).first()
    if bill is None:
        raise _not_found("Bill")
    return [
        {"id": a.external_id, "name": a.file_name, "billId": bill_id, "createdTime": _timestamp(a.created_at)}
        for a in bill.attachments.all()
    ]


def bill_document_upload(*, call: Call, bill_id: str, name: str | None, content: bytes, content_type: str) -> dict:
    bill = _bills(call.organisation).filter(external_id=bill_id).first()
    if bill is None:
        raise _not_found("Bill")
    if not name:
        raise _invalid("name is required")
    if not content:
        raise _invalid("The document is empty")
    if len(content) > DOCUMENT_LIMIT:
        raise _invalid("Documents may be up to 6 MB")
    now = clock.now()
    with transaction.atomic():
        attachment = Attachment.objects.create(
            document=bill,
            external_id=_id("0du"),
            file_name=name,
            content_type=content_type or "application/octet-stream",
            content=content,
            size=len(content),
            created_at=now,
        )
        bill.updated_at = now
        bill.save(update_fields=["updated_at"])
    return {"id": attachment.external_id, "name": name, "billId": bill_id, "createdTime": _timestamp(now)}
