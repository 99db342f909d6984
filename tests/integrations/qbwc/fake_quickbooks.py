"""A fake QuickBooks Desktop company file that answers qbXML requests from memory, for tests.

It answers the way QuickBooks does: its status codes (0 ok, 1 nothing found, 3070 too long, 3100 name in use, 3140
invalid reference, 3391 an iterator it does not know), an HRESULT for a message it cannot parse (elements out of
schema order, attributes a request does not take, elements its edition does not have: see fake_qb_schema.py), list
queries read with iterators that live as long as the Web Connector's session, accounts and items referred to by their
full name only (an account number, or a sub-account's own name, is an invalid reference), and the RefNumber lengths
of each transaction. ``country="UK"`` opens a UK edition file (VAT codes, which expense lines may carry)."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

from integrations.providers.quickbooks_desktop.qbxml import MEMO_MAX, TXN_TYPES, VENDOR_NAME_MAX
from integrations.qbwc.xmlsafe import XMLRejected, parse_xml
from tests.integrations.qbwc import fake_qb_company as company
from tests.integrations.qbwc.fake_qb_company import ListRow
from tests.integrations.qbwc.fake_qb_schema import SchemaViolation, check_request

PARSE_ERROR = ("0x80040400", "QuickBooks found an error when parsing the provided XML text stream.")
CANNOT_START = ("0x80040408", "Could not start QuickBooks.")
NO_MATCH = "A query request did not find a matching object in QuickBooks"
DEFAULT_ITEMS = tuple(name for name, *_ in company.ITEMS)


class QuickBooksError(Exception):
    """QuickBooks answered with no qbXML at all; the Web Connector passes ``hresult`` and ``message`` on."""

    def __init__(self, hresult: str, message: str):
        super().__init__(f"{hresult}: {message}")
        self.hresult = hresult
        self.message = message


@dataclass
class FakeTxn:
    txn_id: str
    edit_sequence: str
    kind: str  # "Bill" | "Check" | "CreditCardCharge" | "Invoice"
    entity_name: str  # the vendor, payee or customer
    txn_date: str
    due_date: str
    ref_number: str
    memo: str
    lines: list[tuple[str, Decimal, str]]  # (account or item, amount, memo or description)
    account: str = ""  # the bank or credit card account of a cheque or charge
    tax_codes: tuple[str, ...] = ()  # the lines' sales tax codes
    sales_tax_item: str = ""
    tax_included: bool = False

    @property
    def amount(self) -> Decimal:
        return sum((amount for _, amount, _ in self.lines), Decimal("0.00"))

    @property
    def vendor_name(self) -> str:
        return self.entity_name


class FakeQuickBooks:
    """An in-memory QuickBooks company file that answers qbXML requests."""

    def __init__(
        self,
        *,
        vendors=(),
        customers=(),
        accounts=None,
        items=None,
        classes=company.CLASSES,
        country: str = "US",
        company_file: str = r"C:\Users\Public\Documents\Intuit\QuickBooks\Company Files\Fake Company.qbw",
        can_open: bool = True,
    ):
        """``accounts``: full names of Expense accounts, or None for the sample chart (company.US_CHART); ``items``:
        full names of Service items, or None for the sample items."""
        self._ids = itertools.count(0x80000001)
        self.country = country
        self.accounts: dict[str, ListRow] = {}
        chart = company.US_CHART if accounts is None else [("", name, "Expense", True) for name in accounts]
        for number, name, account_type, active in chart:
            self._add(self.accounts, name, active=active, type=account_type, number=number)
        uk = country == "UK"
        self.tax_codes: dict[str, ListRow] = {}
        for name, desc, taxable, purchase, sale in company.UK_TAX_CODES if uk else company.US_TAX_CODES:
            self._add(self.tax_codes, name, desc=desc, taxable=taxable, purchase_item=purchase, sales_item=sale)
        self.tax_items: dict[str, ListRow] = {}
        for name, rate, agency in company.UK_TAX_ITEMS if uk else company.US_TAX_ITEMS:
            self._add(self.tax_items, name, rate=rate, agency=agency)
        self.vendors: dict[str, str] = {}  # name -> ListID
        self.customers: dict[str, str] = {}
        self.entities: dict[str, ListRow] = {}  # ListID -> the vendor's or customer's row
        for name in vendors:
            self.vendor_add(name)
        for name in customers:
            self.customers[name] = self._entity(name, "Customer").list_id
        self.items: dict[str, ListRow] = {}
        sample = company.ITEMS if items is None else [(name, "Service", "0.00", "Consulting Income") for name in items]
        for name, item_type, price, account in sample:
            self._add(self.items, name, type=item_type, price=price, account=account)
        self.classes: dict[str, ListRow] = {}
        for name, active in classes:
            self._add(self.classes, name, active=active)
        self.bills: list[FakeTxn] = []
        self.checks: list[FakeTxn] = []
        self.card_charges: list[FakeTxn] = []
        self.invoices: list[FakeTxn] = []
        self.requests: list[str] = []
        self.company_file = company_file
        self.can_open = can_open
        self._fail_next: tuple[str, str] | None = None
        self._refusals: dict[str, tuple[int, str]] = {}
        self._iterators: dict[str, list] = {}

    # setting up ----------------------------------------------------------------------------------------------------

    def _add(self, rows: dict, name: str, *, active: bool = True, **fields) -> ListRow:
        rows[name] = ListRow(list_id=company.list_id(next(self._ids)), name=name, active=active, fields=fields)
        return rows[name]

    def _entity(self, name: str, kind: str, **fields) -> ListRow:
        row = ListRow(list_id=company.list_id(next(self._ids)), name=name, fields={"kind": kind, **fields})
        self.entities[row.list_id] = row
        return row

    def vendor_add(self, name: str, **fields) -> ListRow:
        row = self._entity(name, "Vendor", **fields)
        self.vendors[name] = row.list_id
        return row

    def touch(self, row: ListRow, **changes) -> None:
        """Change an entry as someone in QuickBooks would (it shows in queries by modified date)."""
        for key, value in changes.items():
            if key in ("name", "active"):
                setattr(row, key, value)
            else:
                row.fields[key] = value
        row.modified = datetime.now(UTC)

    def fail_next(self, hresult: str = PARSE_ERROR[0], message: str = PARSE_ERROR[1]) -> None:
        """Make the next request come back as an HRESULT error instead of a qbXML response."""
        self._fail_next = (hresult, message)

    def refuse(self, request: str, code: int, message: str) -> None:
        """Make the next ``request`` (e.g. ``"AccountQueryRq"``) answer that status code and message."""
        self._refusals[request] = (code, message)

    def end_session(self) -> None:
        """The Web Connector's session with QuickBooks ends: its iterators go with it."""
        self._iterators.clear()

    def hcp_response(self) -> str:
        """What the Web Connector sends with its first ``sendRequestXML`` (host, company, preferences)."""
        return (
            '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>'
            '<HostQueryRs requestID="0" statusCode="0" statusSeverity="Info" statusMessage="Status OK">'
            "<HostRet><ProductName>QuickBooks Pro 2024</ProductName><MajorVersion>34</MajorVersion>"
            f"<MinorVersion>0</MinorVersion><Country>{self.country}</Country><SupportedQBXMLVersion>13.0"
            "</SupportedQBXMLVersion></HostRet></HostQueryRs></QBXMLMsgsRs></QBXML>"
        )

    # the one entry point -------------------------------------------------------------------------------------------

    def process(self, request_xml: str) -> str:
        """The qbXML response to ``request_xml``, or :class:`QuickBooksError` (an HRESULT)."""
        self.requests.append(request_xml)
        if self._fail_next:
            failure, self._fail_next = self._fail_next, None
            raise QuickBooksError(*failure)
        if "<?qbxml version=" not in request_xml:
            raise QuickBooksError(*PARSE_ERROR)
        try:
            root = parse_xml(request_xml)
        except XMLRejected:
            raise QuickBooksError(*PARSE_ERROR) from None
        if root.tag != "QBXML" or len(root) != 1 or root[0].tag != "QBXMLMsgsRq" or not root[0].get("onError"):
            raise QuickBooksError(*PARSE_ERROR)
        messages = root[0]
        for rq in messages:  # QuickBooks validates the whole document before doing anything
            if self._handler(rq.tag) is None:
                raise QuickBooksError(*PARSE_ERROR)
            try:
                check_request(rq, country=self.country)
            except SchemaViolation:
                raise QuickBooksError(*PARSE_ERROR) from None
        answer = etree.Element("QBXML")
        responses = etree.SubElement(answer, "QBXMLMsgsRs")
        for rq in messages:
            if rq.tag in self._refusals:
                rs = status(rq.tag.removesuffix("Rq") + "Rs", *self._refusals.pop(rq.tag))
            else:
                rs = self._handler(rq.tag)(rq)
            if rq.get("requestID") is not None:
                rs.set("requestID", rq.get("requestID"))
            responses.append(rs)
            if rs.get("statusSeverity") == "Error" and messages.get("onError") == "stopOnError":
                break
        return '<?xml version="1.0" ?>\n' + etree.tostring(answer, encoding="unicode", pretty_print=True)

    def _handler(self, tag: str):
        from tests.integrations.qbwc.fake_qb_lists import LIST_QUERIES, list_query

        if tag in LIST_QUERIES:
            return lambda rq: list_query(self, rq)
        name = tag.removesuffix("AddRq").removesuffix("QueryRq")
        if tag == "VendorAddRq":
            return self._vendor_add
        if name in TXN_TYPES and tag.endswith("AddRq"):
            return lambda rq: self._txn_add(TXN_TYPES[name], rq)
        if name in TXN_TYPES and tag.endswith("QueryRq"):
            return lambda rq: self._txn_query(name, rq)
        return None

    # vendors -------------------------------------------------------------------------------------------------------

    def _vendor_add(self, rq):
        name = rq.findtext("VendorAdd/Name") or ""
        if len(name) > VENDOR_NAME_MAX:
            return _too_long("VendorAddRs", name, "Name")
        if _in(name, self.vendors) or _in(name, self.customers):
            return status("VendorAddRs", 3100, f'The name "{name}" of the list element is already in use.')
        row = self.vendor_add(name)
        row.modified = datetime.now(UTC)
        rs = status("VendorAddRs", 0)
        ret = etree.SubElement(rs, "VendorRet")
        sub(ret, "ListID", row.list_id)
        sub(ret, "EditSequence", str(company.EPOCH))
        sub(ret, "Name", name)
        return rs

    # transactions --------------------------------------------------------------------------------------------------

    def _txns(self, kind: str) -> list[FakeTxn]:
        return {"Bill": self.bills, "Check": self.checks, "CreditCardCharge": self.card_charges}.get(
            kind, self.invoices
        )

    def _txn_query(self, kind: str, rq):
        txns = self._txns(kind)
        if rq.find("TxnID") is not None:
            txns = [t for t in txns if t.txn_id in {e.text for e in rq.findall("TxnID")}]
        if rq.find("RefNumber") is not None:
            txns = [t for t in txns if _in(t.ref_number, [e.text or "" for e in rq.findall("RefNumber")])]
        entity = rq.findtext("EntityFilter/FullName")
        if entity is not None:
            txns = [t for t in txns if t.entity_name.lower() == entity.lower()]
        low, high = rq.findtext("TxnDateRangeFilter/FromTxnDate"), rq.findtext("TxnDateRangeFilter/ToTxnDate")
        txns = [t for t in txns if (low is None or t.txn_date >= low) and (high is None or t.txn_date <= high)]
        low, high = rq.findtext("RefNumberRangeFilter/FromRefNumber"), rq.findtext("RefNumberRangeFilter/ToRefNumber")
        if low is not None or high is not None:
            txns = [
                t
                for t in txns
                if (low is None or t.ref_number.lower() >= low.lower())
                and (high is None or t.ref_number.lower() <= high.lower())
            ]
        if not txns:
            return status(f"{kind}QueryRs", 1, NO_MATCH, severity="Warn")
        rs = status(f"{kind}QueryRs", 0)
        for txn in txns:
            rs.append(self._txn_ret(txn))
        return rs

    def _txn_add(self, txn_type, rq):
        kind, tag = txn_type.name, f"{txn_type.name}AddRs"
        add = rq.find(f"{kind}Add")
        entity = add.findtext(f"{txn_type.entity_ref}/FullName") or ""
        names = self.customers if kind == "Invoice" else self.vendors
        if kind in ("Check", "CreditCardCharge"):
            names = {**self.vendors, **self.customers}  # a payee is any name
        if not _in(entity, names):
            return _invalid_reference(tag, {"Invoice": "Customer"}.get(kind, "Vendor"), entity, kind)
        account = ""
        if txn_type.pays_from:
            account = add.findtext("AccountRef/FullName") or ""
            row = _row(self.accounts, account)
            if row is None or not row.active or row.fields["type"] != txn_type.pays_from:
                return _invalid_reference(tag, "Account", account, kind)
        lines, codes = [], []
        line_tag, ref_tag, rows = (
            ("InvoiceLineAdd", "ItemRef", self.items) if kind == "Invoice" else ("ExpenseLineAdd", "AccountRef", None)
        )
        for line in add.findall(line_tag):
            name = line.findtext(f"{ref_tag}/FullName") or ""
            row = _row(rows if rows is not None else self.accounts, name)
            if row is None or not row.active or row.fields.get("type") in ("AccountsPayable", "AccountsReceivable"):
                return _invalid_reference(tag, "Item" if kind == "Invoice" else "Account", name, kind)
            code = line.findtext("SalesTaxCodeRef/FullName")
            if code is not None:
                if _row(self.tax_codes, code) is None:
                    return _invalid_reference(tag, "SalesTaxCode", code, kind)
                codes.append(code)
            memo = line.findtext("Desc" if kind == "Invoice" else "Memo") or ""
            lines.append((row.name, _amount(line.findtext("Amount")), memo))
        tax_item = add.findtext("ItemSalesTaxRef/FullName") or ""
        if tax_item and _row(self.tax_items, tax_item) is None:
            return _invalid_reference(tag, "ItemSalesTax", tax_item, kind)
        problem = _check_lengths(tag, add, txn_type.ref_number_max)
        if problem is not None:
            return problem
        txn = FakeTxn(
            txn_id=company.list_id(next(self._ids) & 0xFFFF),
            edit_sequence=str(company.EPOCH),
            kind=kind,
            entity_name=_canonical(entity, names),
            txn_date=add.findtext("TxnDate") or datetime.now(UTC).date().isoformat(),
            due_date=add.findtext("DueDate") or "",
            ref_number=add.findtext("RefNumber") or "",
            memo=add.findtext("Memo") or "",
            lines=lines,
            account=_row(self.accounts, account).name if account else "",
            tax_codes=tuple(codes),
            sales_tax_item=tax_item,
            tax_included=add.findtext("IsTaxIncluded") == "true",
        )
        self._txns(kind).append(txn)
        rs = status(tag, 0)
        rs.append(self._txn_ret(txn))
        return rs

    def _txn_ret(self, txn: FakeTxn):
        ret = etree.Element(f"{txn.kind}Ret")
        sub(ret, "TxnID", txn.txn_id)
        sub(ret, "EditSequence", txn.edit_sequence)
        if txn.account:
            sub(etree.SubElement(ret, "AccountRef"), "FullName", txn.account)
        entity_ref = {"Bill": "VendorRef", "Invoice": "CustomerRef"}.get(txn.kind, "PayeeEntityRef")
        sub(etree.SubElement(ret, entity_ref), "FullName", txn.entity_name)
        sub(ret, "TxnDate", txn.txn_date)
        if txn.due_date:
            sub(ret, "DueDate", txn.due_date)
        sub(ret, {"Bill": "AmountDue", "Invoice": "Subtotal"}.get(txn.kind, "Amount"), f"{txn.amount:.2f}")
        if txn.ref_number:
            sub(ret, "RefNumber", txn.ref_number)
        if txn.memo:
            sub(ret, "Memo", txn.memo)
        return ret

    def new_iterator(self, rows: list) -> str:
        iterator_id = "{" + str(uuid.UUID(int=len(self._iterators) + 1)) + "}"
        self._iterators[iterator_id] = rows
        return iterator_id

    def iterator(self, iterator_id: str) -> list | None:
        return self._iterators.get(iterator_id)


def _check_lengths(rs_tag: str, add, ref_number_max: int):
    for tag, limit in (("RefNumber", ref_number_max), ("Memo", MEMO_MAX)):
        value = add.findtext(tag) or ""
        if len(value) > limit:
            return _too_long(rs_tag, value, tag)
    return None


def status(tag: str, code: int, message: str = "Status OK", *, severity: str | None = None):
    severity = severity or ("Info" if code == 0 else "Error")
    return etree.Element(tag, statusCode=str(code), statusSeverity=severity, statusMessage=message)


def _invalid_reference(rs_tag: str, list_name: str, name: str, txn: str):
    return status(
        rs_tag,
        3140,
        f'There is an invalid reference to QuickBooks {list_name} "{name}" in the {txn}. QuickBooks error '
        "message: Invalid argument.  The specified record does not exist in the list.",
    )


def _too_long(rs_tag: str, value: str, field_name: str):
    return status(rs_tag, 3070, f'The string "{value}" in the field "{field_name}" is too long.')


def sub(parent, tag: str, text: str):
    element = etree.SubElement(parent, tag)
    element.text = text
    return element


def _in(name: str, names) -> bool:
    """QuickBooks matches list names without regard to case."""
    return name.lower() in {n.lower() for n in names}


def _row(rows: dict, full_name: str) -> ListRow | None:
    """The entry of that *full* name (without regard to case): a number or a sub-entry's own name finds nothing."""
    return next((row for name, row in rows.items() if name.lower() == full_name.lower()), None)


def _canonical(name: str, names) -> str:
    return next(n for n in names if n.lower() == name.lower())


def _amount(text: str | None) -> Decimal:
    try:
        return Decimal(text or "0")
    except InvalidOperation:
        raise QuickBooksError(*PARSE_ERROR) from None
