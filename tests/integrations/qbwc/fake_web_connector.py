"""A fake QuickBooks Web Connector (and, from fake_quickbooks.py, a fake QuickBooks), for tests.

``FakeWebConnector`` drives a whole session over real SOAP HTTP calls, the way the Web Connector on
a customer's PC does, against our endpoint (through Django's test client or an ``httpx.Client``
pointed at a live server). ``FakeQuickBooks`` answers the qbXML requests it is handed from memory, as
QuickBooks does (see fake_quickbooks.py)::

    qb = FakeQuickBooks(vendors=["Acme Supplies"])
    run = FakeWebConnector(client, "/qbwc/", username, password, quickbooks=qb).run()
    assert run.auth_status == "" and qb.bills[0].ref_number == "INV-1"
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from integrations.providers.quickbooks_desktop import QuickBooksDesktop
from integrations.qbwc.credentials import generate_web_connector_credentials, stored_credentials
from integrations.qbwc.soap import INTUIT_NS, OPERATIONS, SOAP_ENV_NS, XSD_NS, XSI_NS, parse_response
from integrations.qbwc.xmlsafe import XMLRejected, clean_text, parse_xml
from tests.integrations.qbwc.fake_quickbooks import (
    CANNOT_START,
    DEFAULT_ITEMS,
    NO_MATCH,
    PARSE_ERROR,
    FakeQuickBooks,
    FakeTxn,
    QuickBooksError,
)

__all__ = [
    "CANNOT_START",
    "DEFAULT_ITEMS",
    "NO_MATCH",
    "PARSE_ERROR",
    "FakeQuickBooks",
    "FakeTxn",
    "FakeWebConnector",
    "QuickBooksError",
    "WebConnectorRun",
    "create_web_connector_connection",
]

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
                self.quickbooks.end_session()
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
        self.quickbooks.end_session()
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
