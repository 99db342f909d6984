"""qbXML 13.0 requests the QuickBooks Desktop client sends through the Web Connector, and their responses.

QuickBooks validates requests against its schema, so child elements must come in the schema's order; the builders
below follow Intuit's qbXML 13.0 operations description (``qbxmlops130.xml``; see docs/provider-notes.md). Text is
XML-escaped by lxml and cut to QuickBooks' field lengths; empty optional fields are left out (an empty element is
not "no value" to QuickBooks). Accounts and items are referred to by their full name (``Parent:Child``) as QuickBooks
answered it to ``AccountQueryRq`` / the item queries: never by an account number, never cut (a cut name is another
account). qbXML has no idempotency key: before an add, query the transactions of the vendor (``txn_query_rq``) and
skip the add when the document is already there.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from lxml import etree

from integrations.qbwc.xmlsafe import XMLRejected, clean_text, local_name, parse_xml

QBXML_VERSION = "13.0"
HEADER = f'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="{QBXML_VERSION}"?>\n'

# Field lengths from the qbXML reference (characters).
VENDOR_NAME_MAX = 41
CUSTOMER_NAME_MAX = 209  # CustomerRef/FullName (a customer's job is "Customer:Job")
PAYEE_NAME_MAX = 209
FULL_NAME_MAX = 159  # AccountRef, ClassRef and item full names
BILL_REF_NUMBER_MAX = 20
CHECK_REF_NUMBER_MAX = 11
CREDIT_CARD_CHARGE_REF_NUMBER_MAX = 11
INVOICE_REF_NUMBER_MAX = 11
MEMO_MAX = 4095
REQUEST_ID_MAX = 50

# Status codes worth naming (the full list is in the qbXML reference).
STATUS_OK = 0
STATUS_NO_MATCH = 1
STATUS_WARNINGS = range(500, 1000)  # the request was carried out, with a warning
STATUS_NAME_NOT_UNIQUE = 3100
STATUS_INVALID_REFERENCE = 3140
STATUS_ITERATOR_NOT_VALID = 3391


def succeeded(status_code: int) -> bool:
    """The request was carried out (0, or a warning in 500–999)."""
    return status_code == STATUS_OK or status_code in STATUS_WARNINGS


@dataclass(frozen=True)
class TxnType:
    """One kind of transaction: its requests, the reference naming its vendor or customer, its RefNumber limit."""

    name: str  # "Bill"
    entity_ref: str  # the element naming the vendor (or customer, or payee)
    ref_number_max: int
    pays_from: str = ""  # the AccountType its AccountRef must have ("Bank", "CreditCard"); "" for none

    @property
    def add(self) -> str:
        return f"{self.name}AddRq"

    @property
    def query(self) -> str:
        return f"{self.name}QueryRq"


BILL = TxnType("Bill", "VendorRef", BILL_REF_NUMBER_MAX)
CHECK = TxnType("Check", "PayeeEntityRef", CHECK_REF_NUMBER_MAX, pays_from="Bank")
CREDIT_CARD_CHARGE = TxnType("CreditCardCharge", "PayeeEntityRef", CREDIT_CARD_CHARGE_REF_NUMBER_MAX, "CreditCard")
INVOICE = TxnType("Invoice", "CustomerRef", INVOICE_REF_NUMBER_MAX)
TXN_TYPES = {t.name: t for t in (BILL, CHECK, CREDIT_CARD_CHARGE, INVOICE)}


@dataclass(frozen=True)
class ExpenseLine:
    """An ``ExpenseLineAdd``: the account's full name, the amount, a memo, and the sales tax code where the
    company's edition takes one on expense lines (not the US edition)."""

    account: str
    amount: Decimal | int | str
    memo: str = ""
    sales_tax_code: str = ""


Line = tuple[str, "Decimal | int | str", str]  # (account or item full name, amount, memo or description)


class QBXMLError(ValueError):
    """A qbXML response that cannot be read."""


# --- requests -------------------------------------------------------------------------------------


def vendor_query_rq(name: str, *, request_id: str = "1") -> str:
    rq = _request("VendorQueryRq", request_id)
    _text(rq, "FullName", cut(name, VENDOR_NAME_MAX))
    return _document(rq)


def vendor_add_rq(name: str, *, request_id: str = "1") -> str:
    rq = _request("VendorAddRq", request_id)
    _text(etree.SubElement(rq, "VendorAdd"), "Name", cut(name, VENDOR_NAME_MAX))
    return _document(rq)


def txn_query_rq(
    txn: TxnType,
    *,
    entity_name: str,
    ref_number: str = "",
    txn_date: date | str | None = None,
    request_id: str = "1",
) -> str:
    """The ``txn`` transactions of one vendor (or customer), narrowed to a RefNumber (a from-to range of one value:
    QuickBooks compares without regard to case) or, without one, to a transaction date. ``ref_number`` is cut to
    the transaction's limit first, as the add sends it. Compare ``RefNumber`` and ``Memo`` in the answer's rets."""
    rq = _request(txn.query, request_id)
    if not ref_number and txn_date:
        dates = etree.SubElement(rq, "TxnDateRangeFilter")
        _text(dates, "FromTxnDate", _date(txn_date))
        _text(dates, "ToTxnDate", _date(txn_date))
    entity_max = VENDOR_NAME_MAX if txn.entity_ref == "VendorRef" else PAYEE_NAME_MAX
    _text(etree.SubElement(rq, "EntityFilter"), "FullName", cut(entity_name, entity_max))
    ref = cut(ref_number, txn.ref_number_max)
    if ref:
        ref_filter = etree.SubElement(rq, "RefNumberRangeFilter")
        _text(ref_filter, "FromRefNumber", ref)
        _text(ref_filter, "ToRefNumber", ref)
    return _document(rq)


def bill_query_rq(vendor_name: str, ref_number: str, *, request_id: str = "1") -> str:
    """Bills of ``vendor_name`` whose RefNumber is ``ref_number`` (see :func:`txn_query_rq`)."""
    return txn_query_rq(BILL, entity_name=vendor_name, ref_number=ref_number, request_id=request_id)


def expense_txn_add_rq(
    txn: TxnType,
    *,
    entity_name: str,
    txn_date: date | str,
    lines: Iterable[ExpenseLine | Line],
    account: str = "",
    due_date: date | str | None = None,
    ref_number: str = "",
    memo: str = "",
    tax_included: bool = False,
    request_id: str = "1",
) -> str:
    """A bill, cheque or credit card charge with one ``ExpenseLineAdd`` per line, its elements in each request's own
    order (a cheque has ``RefNumber`` before ``TxnDate``, a credit card charge after). ``account`` is the full name
    of the bank or credit card account a cheque or charge is paid from; ``tax_included`` says the line amounts
    include the sales tax of their codes (editions other than the US one)."""
    lines = [line if isinstance(line, ExpenseLine) else ExpenseLine(*line) for line in lines]
    if not lines:
        raise ValueError("A transaction needs at least one line.")
    rq = _request(txn.add, request_id)
    add = etree.SubElement(rq, txn.add[:-2])
    ref, when = cut(ref_number, txn.ref_number_max), _date(txn_date)
    if txn is BILL:
        _ref(add, "VendorRef", cut(entity_name, VENDOR_NAME_MAX))
        _text(add, "TxnDate", when)
        _text(add, "DueDate", _date(due_date))
        _text(add, "RefNumber", ref)
    else:
        _ref(add, "AccountRef", full_name(account))
        _ref(add, "PayeeEntityRef", cut(entity_name, VENDOR_NAME_MAX))
        ordered = (("RefNumber", ref), ("TxnDate", when)) if txn is CHECK else (("TxnDate", when), ("RefNumber", ref))
        for tag, value in ordered:
            _text(add, tag, value)
    _text(add, "Memo", cut(memo, MEMO_MAX))
    if tax_included:
        _text(add, "IsTaxIncluded", "true")
    for line in lines:
        element = etree.SubElement(add, "ExpenseLineAdd")
        _ref(element, "AccountRef", full_name(line.account))
        _text(element, "Amount", format_amount(line.amount))
        _text(element, "Memo", cut(line.memo, MEMO_MAX))
        if line.sales_tax_code:
            _ref(element, "SalesTaxCodeRef", line.sales_tax_code)
    return _document(rq)


def bill_add_rq(*, vendor_name: str, lines: Iterable[ExpenseLine | Line], **fields) -> str:
    """A bill with one ``ExpenseLineAdd`` per ``(account full name, amount, memo)`` (see :func:`expense_txn_add_rq`)."""
    return expense_txn_add_rq(BILL, entity_name=vendor_name, lines=lines, **fields)


def invoice_add_rq(
    *,
    customer_name: str,
    txn_date: date | str,
    ref_number: str = "",
    memo: str = "",
    lines: Iterable[Line],
    due_date: date | str | None = None,
    sales_tax_item: str = "",
    sales_tax_code: str = "",
    request_id: str = "1",
) -> str:
    """An invoice with one ``InvoiceLineAdd`` per ``(item full name, amount, description)``.

    QuickBooks Desktop invoice lines name an *item* (e.g. a Service item), not an account. ``sales_tax_code`` (e.g.
    ``Tax`` / ``Non``) goes on every line; ``sales_tax_item`` is the invoice's sales tax item (its rate, US).
    """
    lines = list(lines)
    if not lines:
        raise ValueError("An invoice needs at least one line.")
    rq = _request("InvoiceAddRq", request_id)
    add = etree.SubElement(rq, "InvoiceAdd")
    _ref(add, "CustomerRef", cut(customer_name, CUSTOMER_NAME_MAX))
    _text(add, "TxnDate", _date(txn_date))
    _text(add, "RefNumber", cut(ref_number, INVOICE_REF_NUMBER_MAX))
    _text(add, "DueDate", _date(due_date))
    if sales_tax_item:
        _ref(add, "ItemSalesTaxRef", sales_tax_item)
    _text(add, "Memo", cut(memo, MEMO_MAX))
    for item_name, amount, description in lines:
        line = etree.SubElement(add, "InvoiceLineAdd")
        _ref(line, "ItemRef", full_name(item_name))
        _text(line, "Desc", cut(description, MEMO_MAX))
        _text(line, "Amount", format_amount(amount))
        if sales_tax_code:
            _ref(line, "SalesTaxCodeRef", sales_tax_code)
    return _document(rq)


def format_amount(value: Decimal | int | float | str) -> str:
    """``"123.45"``: two decimals, half up, no thousands separator, never ``"-0.00"``."""
    try:
        amount = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ValueError(f"Not an amount: {value!r}") from None
    if not amount.is_finite():
        raise ValueError(f"Not an amount: {value!r}")
    return f"{amount:.2f}" if amount else "0.00"


def full_name(value: str | None) -> str:
    """An account's or item's full name as QuickBooks gave it: never cut (a cut name names another entry)."""
    name = clean_text(value).strip()
    if len(name) > FULL_NAME_MAX:
        raise ValueError(f"{name[:40]}… is longer than QuickBooks' {FULL_NAME_MAX} characters for a full name.")
    return name


def cut(value: str | None, limit: int) -> str:
    """``value`` as QuickBooks will store it in a field of ``limit`` characters."""
    return clean_text(value).strip()[:limit].rstrip()


def request(rq: etree._Element) -> str:
    """A whole qbXML request message of one request element."""
    return _document(rq)


def _request(tag: str, request_id: str) -> etree._Element:
    return etree.Element(tag, requestID=str(request_id)[:REQUEST_ID_MAX])


def _document(*requests: etree._Element) -> str:
    root = etree.Element("QBXML")
    messages = etree.SubElement(root, "QBXMLMsgsRq", onError="stopOnError")
    messages.extend(requests)
    return HEADER + etree.tostring(root, encoding="unicode", pretty_print=True)


def _text(parent: etree._Element, tag: str, value: str | None) -> None:
    """A child with text, left out when the value is empty."""
    if value:
        etree.SubElement(parent, tag).text = value


def _ref(parent: etree._Element, tag: str, name: str) -> None:
    name = clean_text(name).strip()
    if not name:
        raise ValueError(f"{tag} needs a name.")
    _text(etree.SubElement(parent, tag), "FullName", name)


def _date(value: date | str | None) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return value.isoformat()


# --- responses ------------------------------------------------------------------------------------

_RET_FIELDS = ("TxnID", "ListID", "EditSequence", "RefNumber", "Name", "FullName", "TxnDate", "Memo")


def response_elements(xml: str | bytes) -> list[etree._Element]:
    """Every ``…Rs`` element of a qbXML response, in order (raises QBXMLError for what is not one)."""
    try:
        root = parse_xml(xml)
    except XMLRejected as exc:
        raise QBXMLError(str(exc)) from None
    if local_name(root) != "QBXML":
        raise QBXMLError("Not a qbXML document.")
    found = []
    for messages in root:
        if local_name(messages) != "QBXMLMsgsRs":
            continue
        for rs in messages:
            if isinstance(rs.tag, str) and rs.get("statusCode") is not None:
                status_code(rs)
                found.append(rs)
    return found


def status_code(rs: etree._Element) -> int:
    try:
        return int(rs.get("statusCode"))
    except (TypeError, ValueError):
        raise QBXMLError(f"{local_name(rs)} has a statusCode that is not a number.") from None


def parse_response(xml: str | bytes) -> list[dict]:
    """One dict per ``…Rs`` element of a qbXML response, in order.

    Each has ``type`` (e.g. ``"BillAddRs"``), ``requestID``, ``statusCode`` (int), ``statusSeverity``,
    ``statusMessage``, ``TxnID``, ``ListID`` and ``RefNumber`` (of the first returned object, or ``""``),
    ``iteratorID`` and ``iteratorRemainingCount`` (``""`` and 0 without an iterator), and ``rets``: every returned
    object's ``TxnID``, ``ListID``, ``EditSequence``, ``RefNumber``, ``Name``, ``FullName``, ``TxnDate``, ``Memo`` and
    ``VendorName`` / ``CustomerName`` / ``PayeeName`` where present.
    """
    results = []
    for rs in response_elements(xml):
        rets = [_ret(child) for child in rs if isinstance(child.tag, str) and local_name(child).endswith("Ret")]
        first = rets[0] if rets else {}
        try:
            remaining = int(rs.get("iteratorRemainingCount") or 0)
        except ValueError:
            raise QBXMLError(f"{local_name(rs)} has an iteratorRemainingCount that is not a number.") from None
        results.append(
            {
                "type": local_name(rs),
                "requestID": rs.get("requestID", ""),
                "statusCode": status_code(rs),
                "statusSeverity": rs.get("statusSeverity", ""),
                "statusMessage": rs.get("statusMessage", ""),
                "TxnID": first.get("TxnID", ""),
                "ListID": first.get("ListID", ""),
                "RefNumber": first.get("RefNumber", ""),
                "iteratorID": rs.get("iteratorID", ""),
                "iteratorRemainingCount": remaining,
                "rets": rets,
            }
        )
    return results


def _ret(element: etree._Element) -> dict:
    ret = {field: element.findtext(field) for field in _RET_FIELDS if element.find(field) is not None}
    for ref, key in (("VendorRef", "VendorName"), ("CustomerRef", "CustomerName"), ("PayeeEntityRef", "PayeeName")):
        name = element.findtext(f"{ref}/FullName")
        if name is not None:
            ret[key] = name
    return {key: (value or "") for key, value in ret.items()}
