"""qbXML 13.0 requests the QuickBooks Desktop client sends through the Web Connector, and their responses.

QuickBooks validates requests against its schema, so child elements must come in the schema's
order; the builders below follow the qbXML 13.0 reference. Text is XML-escaped by lxml and cut to
QuickBooks' field lengths; empty optional fields are left out (an empty element is not "no value"
to QuickBooks). qbXML has no idempotency key: before ``BillAddRq``, send ``bill_query_rq`` for the
vendor and RefNumber and skip the add when the bill is already there.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from lxml import etree

from integrations.qbwc.xmlsafe import XMLRejected, clean_text, local_name, parse_xml

QBXML_VERSION = "13.0"
HEADER = f'<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="{QBXML_VERSION}"?>\n'

# Field lengths from the qbXML reference (characters).
VENDOR_NAME_MAX = 41
BILL_REF_NUMBER_MAX = 20
INVOICE_REF_NUMBER_MAX = 11
MEMO_MAX = 4095

# Status codes worth naming (the full list is in the qbXML reference).
STATUS_OK = 0
STATUS_NO_MATCH = 1
STATUS_NAME_NOT_UNIQUE = 3100
STATUS_INVALID_REFERENCE = 3140

Line = tuple[str, "Decimal | int | str", str]  # (account or item full name, amount, memo or description)


class QBXMLError(ValueError):
    """A qbXML response that cannot be read."""


# --- requests -------------------------------------------------------------------------------------


def vendor_query_rq(name: str, *, request_id: str = "1") -> str:
    rq = _request("VendorQueryRq", request_id)
    _text(rq, "FullName", _cut(name, VENDOR_NAME_MAX))
    return _document(rq)


def vendor_add_rq(name: str, *, request_id: str = "1") -> str:
    rq = _request("VendorAddRq", request_id)
    _text(etree.SubElement(rq, "VendorAdd"), "Name", _cut(name, VENDOR_NAME_MAX))
    return _document(rq)


def bill_query_rq(vendor_name: str, ref_number: str, *, request_id: str = "1") -> str:
    """Bills of ``vendor_name`` whose RefNumber is ``ref_number`` (a from-to range of one value).

    QuickBooks may compare without regard to case: check ``RefNumber`` in the answer's ``rets``.
    """
    ref = _cut(ref_number, BILL_REF_NUMBER_MAX)
    rq = _request("BillQueryRq", request_id)
    _text(etree.SubElement(rq, "EntityFilter"), "FullName", _cut(vendor_name, VENDOR_NAME_MAX))
    ref_filter = etree.SubElement(rq, "RefNumberRangeFilter")
    _text(ref_filter, "FromRefNumber", ref)
    _text(ref_filter, "ToRefNumber", ref)
    return _document(rq)


def bill_add_rq(
    *,
    vendor_name: str,
    txn_date: date | str,
    due_date: date | str | None = None,
    ref_number: str = "",
    memo: str = "",
    lines: Iterable[Line],
    request_id: str = "1",
) -> str:
    """A bill with one ``ExpenseLineAdd`` per ``(account full name, amount, memo)``."""
    lines = list(lines)
    if not lines:
        raise ValueError("A bill needs at least one line.")
    rq = _request("BillAddRq", request_id)
    add = etree.SubElement(rq, "BillAdd")
    _ref(add, "VendorRef", _cut(vendor_name, VENDOR_NAME_MAX))
    _text(add, "TxnDate", _date(txn_date))
    _text(add, "DueDate", _date(due_date))
    _text(add, "RefNumber", _cut(ref_number, BILL_REF_NUMBER_MAX))
    _text(add, "Memo", _cut(memo, MEMO_MAX))
    for account_name, amount, line_memo in lines:
        line = etree.SubElement(add, "ExpenseLineAdd")
        _ref(line, "AccountRef", account_name)
        _text(line, "Amount", format_amount(amount))
        _text(line, "Memo", _cut(line_memo, MEMO_MAX))
    return _document(rq)


def invoice_add_rq(
    *,
    customer_name: str,
    txn_date: date | str,
    ref_number: str = "",
    memo: str = "",
    lines: Iterable[Line],
    due_date: date | str | None = None,
    request_id: str = "1",
) -> str:
    """An invoice with one ``InvoiceLineAdd`` per ``(item full name, amount, description)``.

    QuickBooks Desktop invoice lines name an *item* (e.g. a Service item), not an account.
    """
    lines = list(lines)
    if not lines:
        raise ValueError("An invoice needs at least one line.")
    rq = _request("InvoiceAddRq", request_id)
    add = etree.SubElement(rq, "InvoiceAdd")
    _ref(add, "CustomerRef", customer_name)
    _text(add, "TxnDate", _date(txn_date))
    _text(add, "RefNumber", _cut(ref_number, INVOICE_REF_NUMBER_MAX))
    _text(add, "DueDate", _date(due_date))
    _text(add, "Memo", _cut(memo, MEMO_MAX))
    for item_name, amount, description in lines:
        line = etree.SubElement(add, "InvoiceLineAdd")
        _ref(line, "ItemRef", item_name)
        _text(line, "Desc", _cut(description, MEMO_MAX))
        _text(line, "Amount", format_amount(amount))
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


def _request(tag: str, request_id: str) -> etree._Element:
    return etree.Element(tag, requestID=str(request_id))


def _document(*requests: etree._Element) -> str:
    root = etree.Element("QBXML")
    messages = etree.SubElement(root, "QBXMLMsgsRq", onError="stopOnError")
    messages.extend(requests)
    return HEADER + etree.tostring(root, encoding="unicode", pretty_print=True)


def _text(parent: etree._Element, tag: str, value: str | None) -> None:
    """A child with text, left out when the value is empty."""
    if value:
        etree.SubElement(parent, tag).text = value


def _ref(parent: etree._Element, tag: str, full_name: str) -> None:
    full_name = clean_text(full_name).strip()
    if not full_name:
        raise ValueError(f"{tag} needs a name.")
    _text(etree.SubElement(parent, tag), "FullName", full_name)


def _cut(value: str | None, limit: int) -> str:
    return clean_text(value).strip()[:limit].rstrip()


def _date(value: date | str | None) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return value.isoformat()


# --- responses ------------------------------------------------------------------------------------

_RET_FIELDS = ("TxnID", "ListID", "EditSequence", "RefNumber", "Name", "FullName", "TxnDate")


def parse_response(xml: str | bytes) -> list[dict]:
    """One dict per ``…Rs`` element of a qbXML response, in order.

    Each has ``type`` (e.g. ``"BillAddRs"``), ``requestID``, ``statusCode`` (int), ``statusSeverity``,
    ``statusMessage``, ``TxnID``, ``ListID`` and ``RefNumber`` (of the first returned object, or
    ``""``), and ``rets``: every returned object's ``TxnID``, ``ListID``, ``EditSequence``,
    ``RefNumber``, ``Name``, ``FullName``, ``TxnDate`` and ``VendorName`` / ``CustomerName`` where present.
    """
    try:
        root = parse_xml(xml)
    except XMLRejected as exc:
        raise QBXMLError(str(exc)) from None
    if local_name(root) != "QBXML":
        raise QBXMLError("Not a qbXML document.")
    results = []
    for messages in root:
        if local_name(messages) != "QBXMLMsgsRs":
            continue
        for rs in messages:
            if not isinstance(rs.tag, str) or rs.get("statusCode") is None:
                continue
            try:
                status_code = int(rs.get("statusCode"))
            except ValueError:
                raise QBXMLError(f"{local_name(rs)} has a statusCode that is not a number.") from None
            rets = [_ret(child) for child in rs if isinstance(child.tag, str) and local_name(child).endswith("Ret")]
            first = rets[0] if rets else {}
            results.append(
                {
                    "type": local_name(rs),
                    "requestID": rs.get("requestID", ""),
                    "statusCode": status_code,
                    "statusSeverity": rs.get("statusSeverity", ""),
                    "statusMessage": rs.get("statusMessage", ""),
                    "TxnID": first.get("TxnID", ""),
                    "ListID": first.get("ListID", ""),
                    "RefNumber": first.get("RefNumber", ""),
                    "rets": rets,
                }
            )
    return results


def _ret(element: etree._Element) -> dict:
    ret = {field: element.findtext(field) for field in _RET_FIELDS if element.find(field) is not None}
    for ref, key in (("VendorRef", "VendorName"), ("CustomerRef", "CustomerName")):
        name = element.findtext(f"{ref}/FullName")
        if name is not None:
            ret[key] = name
    return {key: (value or "") for key, value in ret.items()}
