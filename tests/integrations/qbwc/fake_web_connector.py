"""A fake QuickBooks Web Connector and a fake QuickBooks, for tests.

``FakeWebConnector`` drives a whole session over real SOAP HTTP calls, the way the Web Connector on
a customer's PC does, against our endpoint (through Django's test client or an ``httpx.Client``
pointed at a live server). ``FakeQuickBooks`` answers the qbXML requests it is handed from memory:
vendors, customers, accounts, items, bills and invoices, with QuickBooks' status codes, and
refuses (as an HRESULT, like QuickBooks) a request whose elements are out of schema order::

    qb = FakeQuickBooks(vendors=["Acme Supplies"])
    run = FakeWebConnector(client, "/qbwc/", username, password, quickbooks=qb).run()
    assert run.auth_status == "" and qb.bills[0].ref_number == "INV-1"
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from lxml import etree

from integrations.providers.quickbooks_desktop import QuickBooksDesktop
from integrations.providers.quickbooks_desktop.qbxml import (
    BILL_REF_NUMBER_MAX,
    INVOICE_REF_NUMBER_MAX,
    MEMO_MAX,
    VENDOR_NAME_MAX,
)
from integrations.qbwc.credentials import generate_web_connector_credentials, stored_credentials
from integrations.qbwc.soap import INTUIT_NS, OPERATIONS, SOAP_ENV_NS, XSD_NS, XSI_NS, parse_response
from integrations.qbwc.xmlsafe import XMLRejected, clean_text, parse_xml

# --- fake QuickBooks ------------------------------------------------------------------------------

PARSE_ERROR = ("0x80040400", "QuickBooks found an error when parsing the provided XML text stream.")
CANNOT_START = ("0x80040408", "Could not start QuickBooks.")
NO_MATCH = "A query request did not find a matching object in QuickBooks"

DEFAULT_ACCOUNTS = (
    "Accounts Payable",
    "Accounts Receivable",
    "Office Supplies",
    "Travel Expense",
    "Utilities",
    "Professional Fees",
    "Meals and Entertainment",
)
DEFAULT_ITEMS = ("Consulting", "Services")

# Child order of the elements we check, from the qbXML 13.0 reference (a child may be absent or, for
# lines, repeated; it may not come before one listed ahead of it).
SCHEMA_ORDER = {
    "VendorQueryRq": (
        "ListID",
        "FullName",
        "MaxReturned",
        "ActiveStatus",
        "FromModifiedDate",
        "ToModifiedDate",
        "NameFilter",
        "NameRangeFilter",
        "TotalBalanceFilter",
        "CurrencyFilter",
        "ClassFilter",
        "IncludeRetElement",
        "OwnerID",
    ),
    "VendorAddRq": ("VendorAdd", "IncludeRetElement"),
    "VendorAdd": ("Name", "IsActive", "ClassRef", "IsTaxAgency", "CompanyName"),
    "BillQueryRq": (
        "TxnID",
        "RefNumber",
        "RefNumberCaseSensitive",
        "MaxReturned",
        "ModifiedDateRangeFilter",
        "TxnDateRangeFilter",
        "EntityFilter",
        "AccountFilter",
        "RefNumberFilter",
        "RefNumberRangeFilter",
        "CurrencyFilter",
        "PaidStatus",
        "IncludeLineItems",
        "IncludeLinkedTxns",
        "IncludeRetElement",
        "OwnerID",
    ),
    "RefNumberRangeFilter": ("FromRefNumber", "ToRefNumber"),
    "BillAddRq": ("BillAdd", "IncludeRetElement"),
    "BillAdd": (
        "VendorRef",
        "VendorAddress",
        "APAccountRef",
        "TxnDate",
        "DueDate",
        "RefNumber",
        "TermsRef",
        "Memo",
        "ExchangeRate",
        "ExternalGUID",
        "LinkToTxnID",
        "SetCredit",
        "ExpenseLineAdd",
        "ItemLineAdd",
        "ItemGroupLineAdd",
    ),
    "ExpenseLineAdd": (
        "AccountRef",
        "Amount",
        "Memo",
        "CustomerRef",
        "ClassRef",
        "SalesTaxCodeRef",
        "BillableStatus",
        "SalesRepRef",
        "DataExt",
    ),
    "InvoiceAddRq": ("InvoiceAdd", "IncludeRetElement"),
    "InvoiceAdd": (
        "CustomerRef",
        "ClassRef",
        "ARAccountRef",
        "TemplateRef",
        "TxnDate",
        "RefNumber",
        "BillAddress",
        "ShipAddress",
        "IsPending",
        "PONumber",
        "TermsRef",
        "DueDate",
        "SalesRepRef",
        "FOB",
        "ShipDate",
        "ShipMethodRef",
        "ItemSalesTaxRef",
        "Memo",
        "CustomerMsgRef",
        "IsToBePrinted",
        "IsToBeEmailed",
        "IsTaxIncluded",
        "CustomerSalesTaxCodeRef",
        "Other",
        "ExchangeRate",
        "ExternalGUID",
        "LinkToTxnID",
        "SetCredit",
        "InvoiceLineAdd",
        "InvoiceLineGroupAdd",
    ),
    "InvoiceLineAdd": (
        "ItemRef",
        "Desc",
        "Quantity",
        "UnitOfMeasure",
        "Rate",
        "RatePercent",
        "PriceLevelRef",
        "ClassRef",
        "Amount",
        "OptionForPriceRuleConflict",
        "InventorySiteRef",
        "InventorySiteLocationRef",
        "SerialNumber",
        "LotNumber",
        "ServiceDate",
        "SalesTaxCodeRef",
        "OverrideItemAccountRef",
        "Other1",
        "Other2",
        "LinkToTxn",
        "DataExt",
    ),
}
REF_CHILDREN = ("ListID", "FullName")


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
    kind: str  # "Bill" | "Invoice"
    entity_name: str  # the vendor or the customer
    txn_date: str
    due_date: str
    ref_number: str
    memo: str
    lines: list[tuple[str, Decimal, str]]  # (account or item, amount, memo or description)

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
        accounts=DEFAULT_ACCOUNTS,
        items=DEFAULT_ITEMS,
        company_file: str = r"C:\Users\Public\Documents\Intuit\QuickBooks\Company Files\Fake Company.qbw",
        can_open: bool = True,
    ):
        self._ids = itertools.count(0x80000001)
        self.vendors: dict[str, str] = {}  # name -> ListID
        self.customers: dict[str, str] = {name: self._list_id() for name in customers}
        self.accounts = set(accounts)
        self.items = set(items)
        self.bills: list[FakeTxn] = []
        self.invoices: list[FakeTxn] = []
        self.requests: list[str] = []
        self.company_file = company_file
        self.can_open = can_open
        self._fail_next: tuple[str, str] | None = None
        for name in vendors:
            self.vendors[name] = self._list_id()

    def fail_next(self, hresult: str = PARSE_ERROR[0], message: str = PARSE_ERROR[1]) -> None:
        """Make the next request come back as an HRESULT error instead of a qbXML response."""
        self._fail_next = (hresult, message)

    def hcp_response(self) -> str:
        """What the Web Connector sends with its first ``sendRequestXML`` (host, company, preferences)."""
        return (
            '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs>'
            '<HostQueryRs requestID="0" statusCode="0" statusSeverity="Info" statusMessage="Status OK">'
            "<HostRet><ProductName>QuickBooks Pro 2024</ProductName><MajorVersion>34</MajorVersion>"
            "<MinorVersion>0</MinorVersion><Country>US</Country><SupportedQBXMLVersion>13.0"
            "</SupportedQBXMLVersion></HostRet></HostQueryRs></QBXMLMsgsRs></QBXML>"
        )

    # the one entry point ---------------------------------------------------------------------------

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
            if rq.tag not in self._handlers:
                raise QuickBooksError(*PARSE_ERROR)
            _check_schema(rq)
        answer = etree.Element("QBXML")
        responses = etree.SubElement(answer, "QBXMLMsgsRs")
        for rq in messages:
            rs = self._handlers[rq.tag](self, rq)
            if rq.get("requestID") is not None:
                rs.set("requestID", rq.get("requestID"))
            responses.append(rs)
            if rs.get("statusSeverity") == "Error" and messages.get("onError") == "stopOnError":
                break
        return '<?xml version="1.0" ?>\n' + etree.tostring(answer, encoding="unicode", pretty_print=True)

    # handlers --------------------------------------------------------------------------------------

    def _vendor_query(self, rq):
        names = [n.text or "" for n in rq.findall("FullName")]
        found = [(name, lid) for name, lid in self.vendors.items() if not names or _in(name, names)]
        if not found:
            return _status("VendorQueryRs", 1, NO_MATCH, severity="Warn")
        rs = _status("VendorQueryRs", 0)
        for name, list_id in found:
            ret = etree.SubElement(rs, "VendorRet")
            _sub(ret, "ListID", list_id)
            _sub(ret, "EditSequence", _edit_sequence())
            _sub(ret, "Name", name)
            _sub(ret, "IsActive", "true")
        return rs

    def _vendor_add(self, rq):
        name = rq.findtext("VendorAdd/Name") or ""
        if len(name) > VENDOR_NAME_MAX:
            return _too_long("VendorAddRs", name, "Name")
        if _in(name, self.vendors):
            return _status("VendorAddRs", 3100, f'The name "{name}" of the list element is already in use.')
        self.vendors[name] = self._list_id()
        rs = _status("VendorAddRs", 0)
        ret = etree.SubElement(rs, "VendorRet")
        _sub(ret, "ListID", self.vendors[name])
        _sub(ret, "EditSequence", _edit_sequence())
        _sub(ret, "Name", name)
        return rs

    def _bill_query(self, rq):
        bills = self.bills
        if rq.find("TxnID") is not None:
            bills = [b for b in bills if b.txn_id in {e.text for e in rq.findall("TxnID")}]
        if rq.find("RefNumber") is not None:
            bills = [b for b in bills if _in(b.ref_number, [e.text or "" for e in rq.findall("RefNumber")])]
        vendor = rq.findtext("EntityFilter/FullName")
        if vendor is not None:
            bills = [b for b in bills if b.vendor_name.lower() == vendor.lower()]
        low, high = rq.findtext("RefNumberRangeFilter/FromRefNumber"), rq.findtext("RefNumberRangeFilter/ToRefNumber")
        if low is not None or high is not None:
            bills = [
                b
                for b in bills
                if (low is None or b.ref_number.lower() >= low.lower())
                and (high is None or b.ref_number.lower() <= high.lower())
            ]
        if not bills:
            return _status("BillQueryRs", 1, NO_MATCH, severity="Warn")
        rs = _status("BillQueryRs", 0)
        for bill in bills:
            rs.append(self._txn_ret("BillRet", bill))
        return rs

    def _bill_add(self, rq):
        add = rq.find("BillAdd")
        vendor = add.findtext("VendorRef/FullName") or ""
        if not _in(vendor, self.vendors):
            return _invalid_reference("BillAddRs", "Vendor", vendor, "Bill")
        lines = []
        for line in add.findall("ExpenseLineAdd"):
            account = line.findtext("AccountRef/FullName") or ""
            if account not in self.accounts:
                return _invalid_reference("BillAddRs", "Account", account, "Bill")
            lines.append((account, _amount(line.findtext("Amount")), line.findtext("Memo") or ""))
        problem = _check_lengths("BillAddRs", add, BILL_REF_NUMBER_MAX)
        if problem is not None:
            return problem
        bill = self._txn("Bill", _canonical(vendor, self.vendors), add, lines)
        self.bills.append(bill)
        rs = _status("BillAddRs", 0)
        rs.append(self._txn_ret("BillRet", bill))
        return rs

    def _invoice_add(self, rq):
        add = rq.find("InvoiceAdd")
        customer = add.findtext("CustomerRef/FullName") or ""
        if not _in(customer, self.customers):
            return _invalid_reference("InvoiceAddRs", "Customer", customer, "Invoice")
        lines = []
        for line in add.findall("InvoiceLineAdd"):
            item = line.findtext("ItemRef/FullName") or ""
            if item not in self.items:
                return _invalid_reference("InvoiceAddRs", "Item", item, "Invoice")
            lines.append((item, _amount(line.findtext("Amount")), line.findtext("Desc") or ""))
        problem = _check_lengths("InvoiceAddRs", add, INVOICE_REF_NUMBER_MAX)
        if problem is not None:
            return problem
        invoice = self._txn("Invoice", _canonical(customer, self.customers), add, lines)
        self.invoices.append(invoice)
        rs = _status("InvoiceAddRs", 0)
        rs.append(self._txn_ret("InvoiceRet", invoice))
        return rs

    _handlers = {
        "VendorQueryRq": _vendor_query,
        "VendorAddRq": _vendor_add,
        "BillQueryRq": _bill_query,
        "BillAddRq": _bill_add,
        "InvoiceAddRq": _invoice_add,
    }

    # helpers ---------------------------------------------------------------------------------------

    def _list_id(self) -> str:
        return f"{next(self._ids):X}-{int(time.time())}"

    def _txn(self, kind: str, entity_name: str, add, lines) -> FakeTxn:
        return FakeTxn(
            txn_id=f"{next(self._ids) & 0xFFFF:X}-{int(time.time())}",
            edit_sequence=_edit_sequence(),
            kind=kind,
            entity_name=entity_name,
            txn_date=add.findtext("TxnDate") or time.strftime("%Y-%m-%d"),
            due_date=add.findtext("DueDate") or "",
            ref_number=add.findtext("RefNumber") or "",
            memo=add.findtext("Memo") or "",
            lines=lines,
        )

    def _txn_ret(self, tag: str, txn: FakeTxn):
        ret = etree.Element(tag)
        _sub(ret, "TxnID", txn.txn_id)
        _sub(ret, "EditSequence", txn.edit_sequence)
        entity_ref = etree.SubElement(ret, "VendorRef" if txn.kind == "Bill" else "CustomerRef")
        _sub(entity_ref, "FullName", txn.entity_name)
        _sub(ret, "TxnDate", txn.txn_date)
        if txn.due_date:
            _sub(ret, "DueDate", txn.due_date)
        _sub(ret, "AmountDue" if txn.kind == "Bill" else "Subtotal", f"{txn.amount:.2f}")
        if txn.ref_number:
            _sub(ret, "RefNumber", txn.ref_number)
        if txn.memo:
            _sub(ret, "Memo", txn.memo)
        return ret


def _check_schema(element) -> None:
    """Raise the parse-error HRESULT for out-of-order or unknown children, or an empty ``…Ref``."""
    order = SCHEMA_ORDER.get(element.tag)
    position = 0
    for child in element:
        if child.tag.endswith("Ref") and (len(child) == 0 or any(c.tag not in REF_CHILDREN for c in child)):
            raise QuickBooksError(*PARSE_ERROR)
        if order is not None:
            if child.tag not in order or order.index(child.tag) < position:
                raise QuickBooksError(*PARSE_ERROR)
            position = order.index(child.tag)
        _check_schema(child)


def _check_lengths(rs_tag: str, add, ref_number_max: int):
    for tag, limit in (("RefNumber", ref_number_max), ("Memo", MEMO_MAX)):
        value = add.findtext(tag) or ""
        if len(value) > limit:
            return _too_long(rs_tag, value, tag)
    return None


def _status(tag: str, code: int, message: str = "Status OK", *, severity: str | None = None):
    severity = severity or ("Info" if code == 0 else "Error")
    return etree.Element(tag, statusCode=str(code), statusSeverity=severity, statusMessage=message)


def _invalid_reference(rs_tag: str, list_name: str, name: str, txn: str):
    return _status(
        rs_tag,
        3140,
        f'There is an invalid reference to QuickBooks {list_name} "{name}" in the {txn}. QuickBooks error '
        "message: Invalid argument.  The specified record does not exist in the list.",
    )


def _too_long(rs_tag: str, value: str, field_name: str):
    return _status(rs_tag, 3070, f'The string "{value}" in the field "{field_name}" is too long.')


def _sub(parent, tag: str, text: str):
    element = etree.SubElement(parent, tag)
    element.text = text
    return element


def _in(name: str, names) -> bool:
    """QuickBooks matches list names without regard to case."""
    return name.lower() in {n.lower() for n in names}


def _canonical(name: str, names) -> str:
    return next(n for n in names if n.lower() == name.lower())


def _amount(text: str | None) -> Decimal:
    try:
        return Decimal(text or "0")
    except InvalidOperation:
        raise QuickBooksError(*PARSE_ERROR) from None


def _edit_sequence() -> str:
    return str(int(time.time()))


# --- fake Web Connector ---------------------------------------------------------------------------


@dataclass
class Exchange:
    """One ``sendRequestXML`` / ``receiveResponseXML`` round."""

    request_xml: str
    response_xml: str
    hresult: str
    message: str
    percent: int

    @property
    def request_type(self) -> str:
        """``"BillAddRq"``…: the (first) request of the message."""
        try:
            return parse_xml(self.request_xml)[0][0].tag
        except (XMLRejected, IndexError):
            return ""


@dataclass
class WebConnectorRun:
    """What happened in one session, as the Web Connector saw it."""

    server_version: str = ""
    client_version_answer: str = ""
    ticket: str = ""
    auth_status: str = ""  # "" (work), "none", "nvu", …
    connection_error_answer: str = ""
    exchanges: list[Exchange] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # getLastError answers
    close_message: str = ""

    @property
    def requests(self) -> list[str]:
        return [exchange.request_xml for exchange in self.exchanges]

    @property
    def request_types(self) -> list[str]:
        return [exchange.request_type for exchange in self.exchanges]

    @property
    def percents(self) -> list[int]:
        return [exchange.percent for exchange in self.exchanges]

    @property
    def last_error(self) -> str:
        return self.errors[-1] if self.errors else ""


class FakeWebConnector:
    """Plays the QuickBooks Web Connector against our SOAP endpoint.

    ``client`` is a Django test ``Client`` (``url`` a path such as ``"/qbwc/"``) or an
    ``httpx.Client`` (``url`` absolute, e.g. ``live_server.url + "/qbwc/"``).
    """

    VERSION = "2.3.0.215"

    def __init__(self, client, url: str, username: str, password: str, *, quickbooks=None, max_requests=500):
        self.client = client
        self.url = url
        self.username = username
        self.password = password
        self.quickbooks = quickbooks if quickbooks is not None else FakeQuickBooks()
        self.max_requests = max_requests

    def run(self, *, power_off_after: int | None = None) -> WebConnectorRun:
        """One scheduled run: sign in, then exchange requests until the service says 100 % or fails.

        ``power_off_after=n``: the PC goes off once QuickBooks has processed the n-th request, before its answer
        reaches the service (nothing more is called, not even ``closeConnection``).
        """
        run = WebConnectorRun()
        run.server_version = self.call("serverVersion")
        run.client_version_answer = self.call("clientVersion", strVersion=self.VERSION)
        if run.client_version_answer.startswith("E:"):
            return run
        answer = self.call("authenticate", strUserName=self.username, strPassword=self.password)
        run.ticket, run.auth_status = (list(answer) + ["", ""])[:2]
        if run.auth_status in ("nvu", "none", "busy"):
            return run
        ticket = run.ticket
        if not self.quickbooks.can_open:
            run.connection_error_answer = self.call(
                "connectionError", ticket=ticket, hresult=CANNOT_START[0], message=CANNOT_START[1]
            )
            run.errors.append(self.call("getLastError", ticket=ticket))
            run.close_message = self.call("closeConnection", ticket=ticket)
            return run
        for number in range(self.max_requests):
            request = self.call(
                "sendRequestXML",
                ticket=ticket,
                strHCPResponse=self.quickbooks.hcp_response() if number == 0 else "",
                strCompanyFileName=self.quickbooks.company_file,
                qbXMLCountry="US",
                qbXMLMajorVers=13,
                qbXMLMinorVers=0,
            )
            if not request:
                error = self.call("getLastError", ticket=ticket)
                if error:
                    run.errors.append(error)
                break
            try:
                response, hresult, message = self.quickbooks.process(request), "", ""
            except QuickBooksError as exc:
                response, hresult, message = "", exc.hresult, exc.message
            if power_off_after is not None and number + 1 >= power_off_after:
                run.exchanges.append(Exchange(request, response, hresult, message, percent=0))
                return run
            percent = self.call(
                "receiveResponseXML", ticket=ticket, response=response, hresult=hresult, message=message
            )
            run.exchanges.append(Exchange(request, response, hresult, message, percent))
            if percent < 0:
                run.errors.append(self.call("getLastError", ticket=ticket))
                break
            if percent >= 100:
                break
        else:
            raise AssertionError(f"The service was still handing out requests after {self.max_requests}.")
        run.close_message = self.call("closeConnection", ticket=ticket)
        return run

    def call(self, operation: str, **params):
        """One SOAP call; returns its result, or raises ``soap.SoapFault`` when the answer is a fault."""
        spec = OPERATIONS[operation]
        unknown = set(params) - {name for name, _ in spec.params}
        if unknown:
            raise TypeError(f"{operation} takes no {', '.join(sorted(unknown))}")
        envelope = etree.Element(
            f"{{{SOAP_ENV_NS}}}Envelope", nsmap={"soap": SOAP_ENV_NS, "xsi": XSI_NS, "xsd": XSD_NS}
        )
        body = etree.SubElement(envelope, f"{{{SOAP_ENV_NS}}}Body")
        call = etree.SubElement(body, f"{{{INTUIT_NS}}}{operation}", nsmap={None: INTUIT_NS})
        for name, _ in spec.params:
            if name in params:
                etree.SubElement(call, f"{{{INTUIT_NS}}}{name}").text = clean_text(params[name])
        status, content = self.post(etree.tostring(envelope, xml_declaration=True, encoding="utf-8"), operation)
        if status not in (200, 500):
            raise AssertionError(f"{operation}: HTTP {status}")
        return parse_response(content, spec)

    def post(self, body: bytes, operation: str) -> tuple[int, bytes]:
        headers = {"SOAPAction": f'"{INTUIT_NS}{operation}"'}
        content_type = "text/xml; charset=utf-8"
        if hasattr(self.client, "build_request"):  # httpx
            response = self.client.post(self.url, content=body, headers={**headers, "Content-Type": content_type})
        else:  # Django's test client
            response = self.client.post(self.url, data=body, content_type=content_type, headers=headers)
        return response.status_code, response.content


# --- a connection to drive it with ----------------------------------------------------------------


def create_web_connector_connection(*, business, status: str = "active"):
    """A QuickBooks Desktop connection for tests, stored as the connect flow stores it.

    Returns ``(connection, password)``; the password is what the user would type into the Web Connector.
    """
    from integrations.models import Connection

    generated = generate_web_connector_credentials(business_name=business.name)
    connection = Connection.objects.create(
        business=business,
        provider=QuickBooksDesktop.key,
        kind="main",
        status=status,
        external_tenant_id=generated["username"],
        credentials=stored_credentials(generated),
    )
    return connection, generated["password"]
