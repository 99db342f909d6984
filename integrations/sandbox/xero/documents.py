"""Xero's invoices (bills and sales, ACCPAY and ACCREC) and bank transactions (spend and receive money): Xero's
checks and arithmetic, listing and reading them.

``Reference`` is for sales invoices (ACCREC) and bank transactions only: on a bill (ACCPAY) Xero ignores it without
a word (the supplier's number is the bill's ``InvoiceNumber``, which Xero's screens call "Reference"). ``Url`` (a link
back to the source document, any type) must be an http(s) URL.

Reference rule (the sandbox's bookkeeping of the product's item id): a document's ``reference`` is its ``Reference``
if it keeps one, else the last part of its ``Url`` (the product links a bill to its item's page), else its
``InvoiceNumber``.
"""

import uuid
from decimal import Decimal

from integrations.sandbox import clock, counters
from integrations.sandbox.models import Document, Organisation
from integrations.sandbox.values import cents, ms_date, number, parse_date, to_decimal
from integrations.sandbox.xero import constants
from integrations.sandbox.xero.api import Call, envelope, not_found, save_all
from integrations.sandbox.xero.constants import (
    BANK_TRANSACTION_TYPES,
    CURRENCIES,
    INVOICE_STATUSES,
    INVOICE_TYPES,
    LINE_AMOUNT_TYPES,
    XERO,
    ChartRow,
    TaxRow,
)
from integrations.sandbox.xero.contacts import contact_link, contact_resolve
from integrations.sandbox.xero.reference import account_uuid, chart
from integrations.sandbox.xero.where import filtered, paged


def _account_check(organisation: Organisation, line: dict, *, approved: bool) -> tuple[list[str], ChartRow | None]:
    """The account a line names (``AccountCode``, or ``AccountID`` for an account without a code), as Xero checks it:
    it must exist, be active, and be one a line may use (not a bank or a system account)."""
    code, account_id = line.get("AccountCode"), line.get("AccountID")
    if not code and not account_id:
        return (["Account code must be specified on every line of an approved document"] if approved else []), None
    given = str(code or account_id)
    for row, row_id in chart(organisation):
        if (code and row.code == str(code)) or (not code and row_id == str(account_id).lower()):
            if row.status != "ACTIVE":
                return [
                    f"Account code '{given}' has been archived, or has been deleted. "
                    "Each line item must reference a valid account."
                ], None
            if row.type == "BANK" or row.system:
                break
            return [], row
    return [f"Account code '{given}' is not a valid code for this document."], None


def _tax_rate(tax_type: str, *, purchases: bool) -> TaxRow | None:
    """An active tax rate this kind of document may use (a purchase: one that applies to expenses)."""
    for rate in constants.TAX_RATES:
        if rate.tax_type == tax_type and rate.status == "ACTIVE" and (rate.expenses if purchases else rate.revenue):
            return rate
    return None


def _lines(element: dict, *, approved: bool, organisation: Organisation, purchases: bool) -> tuple[list[str], dict]:
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
        account_messages, account = _account_check(organisation, line, approved=approved)
        messages += account_messages
        tax_type = line.get("TaxType") or (account.tax_type if account else "NONE")
        rate = _tax_rate(tax_type, purchases=purchases)
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
            tax = cents(amount - amount / (1 + rate.rate / 100))
        else:
            tax = cents(amount * rate.rate / 100)
        gross += amount
        total_tax += tax
        coded = {"AccountCode": account.code} if account is not None and account.code else {}
        if account is not None:
            coded["AccountID"] = account_uuid(organisation, account.code or account.name)
        lines.append(
            {
                **line,
                **coded,
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
    from_url = str(body.get("Url") or "").rstrip("/").rsplit("/", 1)[-1]
    return str(body.get("Reference") or from_url or body.get("InvoiceNumber") or "")


def _url_check(element: dict) -> list[str]:
    url = element.get("Url")
    if url and not (isinstance(url, str) and url.startswith(("http://", "https://")) and len(url) <= 2000):
        return ["The Url must be a valid http or https address"]
    return []


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
    contact_messages, contact = contact_resolve(call, element.get("Contact"))
    line_messages, amounts = _lines(
        element, approved=status == "AUTHORISED", organisation=organisation, purchases=kind != "ACCREC"
    )
    date_messages, dates = _dates(element)
    currency_messages, currency = _currency(element, organisation)
    messages += contact_messages + line_messages + date_messages + currency_messages + _url_check(element)
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
        "Reference": (element.get("Reference") or "") if kind == "ACCREC" else "",
        "Contact": contact_link(call, contact, supplier=kind == "ACCPAY"),
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


def _bank_account(organisation: Organisation, given) -> tuple[str, dict | None]:
    """The bank account a bank transaction names (``AccountID``, or ``Code``): an active account of type BANK
    (a bank account or a credit card); else the sentence Xero answers."""
    if not isinstance(given, dict) or not (given.get("AccountID") or given.get("Code")):
        return "A valid BankAccount must be specified", None
    named = str(given.get("AccountID") or given.get("Code"))
    for row, account_id in chart(organisation):
        if (given.get("AccountID") and account_id == str(given["AccountID"]).lower()) or (
            not given.get("AccountID") and row.code and row.code == str(given["Code"])
        ):
            if row.type != "BANK":
                break
            if row.status != "ACTIVE":
                return f"The bank account '{named}' has been archived, or has been deleted.", None
            return "", {"AccountID": account_id, **({"Code": row.code} if row.code else {}), "Name": row.name}
    return f"The bank account '{named}' is not a valid bank account for this transaction.", None


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
    bank_message, bank_account = _bank_account(organisation, element.get("BankAccount"))
    if bank_account is None:
        messages.append(bank_message)
    contact_messages, contact = contact_resolve(call, element.get("Contact"))
    line_messages, amounts = _lines(element, approved=True, organisation=organisation, purchases=kind != "RECEIVE")
    date_messages, dates = _dates(element)
    currency_messages, currency = _currency(element, organisation)
    messages += contact_messages + line_messages + date_messages + currency_messages + _url_check(element)
    if messages:
        return messages, None
    transaction_id = existing.external_id if existing else str(uuid.uuid4())
    body = {
        **{k: v for k, v in element.items() if k not in {"Contact", "LineItems", "BankAccount"}},
        "Type": kind,
        "BankTransactionID": transaction_id,
        "Contact": contact_link(call, contact, supplier=kind == "SPEND"),
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


def invoices_save(*, call: Call, raw: bytes, idempotency_key: str, summarize_errors: bool) -> tuple[int, dict, bool]:
    return save_all(call, raw, "Invoices", _invoice_save, idempotency_key, summarize_errors)


def bank_transactions_save(
    *, call: Call, raw: bytes, idempotency_key: str, summarize_errors: bool
) -> tuple[int, dict, bool]:
    return save_all(call, raw, "BankTransactions", _bank_transaction_save, idempotency_key, summarize_errors)


def documents_of(call: Call, types: set[str]):
    return Document.objects.filter(provider=XERO, organisation=call.organisation, type__in=types)


def invoices_list(
    *,
    call: Call,
    where: str | None,
    ids: str | None,
    numbers: str | None,
    page: str | None,
    contact_ids: str | None = None,
    statuses: str | None = None,
) -> dict:
    items = [d.body for d in documents_of(call, INVOICE_TYPES)]
    if contact_ids:
        wanted = {i.strip().lower() for i in contact_ids.split(",")}
        items = [i for i in items if str(i["Contact"]["ContactID"]).lower() in wanted]
    if statuses:
        wanted = {s.strip().upper() for s in statuses.split(",")}
        items = [i for i in items if i.get("Status") in wanted]
    if ids:
        wanted = {i.strip().lower() for i in ids.split(",")}
        items = [i for i in items if i["InvoiceID"] in wanted]
    if numbers:
        wanted = {n.strip() for n in numbers.split(",")}
        items = [i for i in items if i["InvoiceNumber"] in wanted]
    return envelope(call, "Invoices", paged(filtered(items, where), page))


def bank_transactions_list(*, call: Call, where: str | None, page: str | None) -> dict:
    items = [d.body for d in documents_of(call, BANK_TRANSACTION_TYPES)]
    return envelope(call, "BankTransactions", paged(filtered(items, where), page))


def invoice_detail(*, call: Call, invoice_id: str) -> dict:
    documents = documents_of(call, INVOICE_TYPES)
    document = (
        documents.filter(external_id=invoice_id.lower()).first()
        or documents.filter(body__InvoiceNumber=invoice_id).first()
    )
    if document is None:
        raise not_found()
    return envelope(call, "Invoices", [document.body])


def bank_transaction_detail(*, call: Call, transaction_id: str) -> dict:
    document = documents_of(call, BANK_TRANSACTION_TYPES).filter(external_id=transaction_id.lower()).first()
    if document is None:
        raise not_found()
    return envelope(call, "BankTransactions", [document.body])
