"""SOAP 1.1 as the QuickBooks Web Connector speaks it: the operations, envelopes, faults and WSDL.

Protocol only: which operation a request calls and with what, and how answers are written. What the
operations *do* is in ``services.py``; ``views.py`` joins the two.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from lxml import etree

from integrations.qbwc.xmlsafe import XMLRejected, clean_text, iter_beginning, local_name, parse_xml

INTUIT_NS = "http://developer.intuit.com/"
SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_ENV_NS = "http://www.w3.org/2003/05/soap-envelope"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP_NS = "http://schemas.xmlsoap.org/wsdl/soap/"

STRING, INT, STRING_ARRAY = "string", "int", "ArrayOfString"


@dataclass(frozen=True)
class Operation:
    name: str
    params: tuple[tuple[str, str], ...]  # (element name, STRING | INT), in the WSDL's order
    result: str  # STRING | INT | STRING_ARRAY


OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation("serverVersion", (), STRING),
        Operation("clientVersion", (("strVersion", STRING),), STRING),
        Operation("authenticate", (("strUserName", STRING), ("strPassword", STRING)), STRING_ARRAY),
        Operation(
            "sendRequestXML",
            (
                ("ticket", STRING),
                ("strHCPResponse", STRING),
                ("strCompanyFileName", STRING),
                ("qbXMLCountry", STRING),
                ("qbXMLMajorVers", INT),
                ("qbXMLMinorVers", INT),
            ),
            STRING,
        ),
        Operation(
            "receiveResponseXML",
            (("ticket", STRING), ("response", STRING), ("hresult", STRING), ("message", STRING)),
            INT,
        ),
        Operation("connectionError", (("ticket", STRING), ("hresult", STRING), ("message", STRING)), STRING),
        Operation("getLastError", (("ticket", STRING),), STRING),
        Operation("closeConnection", (("ticket", STRING),), STRING),
    )
}


class SoapFault(Exception):
    """Answered as a SOAP Fault with HTTP 500. ``code`` is a SOAP 1.1 fault code (Client, Server…)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message

    @classmethod
    def client(cls, message: str) -> SoapFault:
        return cls("Client", message)

    @classmethod
    def server(cls, message: str = "The service could not process the request.") -> SoapFault:
        return cls("Server", message)


def endpoint_url() -> str:
    """The absolute URL of the SOAP endpoint, as written into the ``.qwc`` file and the WSDL."""
    return f"{settings.SITE_URL}{reverse('qbwc:soap')}"


# --- reading a call -------------------------------------------------------------------------------


def parse_request(body: bytes) -> tuple[Operation, dict[str, str | int]]:
    """The operation a SOAP 1.1 request calls and its parameters (missing ones are ``""`` or ``0``)."""
    try:
        envelope = parse_xml(body)
    except XMLRejected as exc:
        raise SoapFault.client(str(exc)) from None
    namespace = etree.QName(envelope).namespace
    if local_name(envelope) != "Envelope" or namespace not in (SOAP_ENV_NS, SOAP12_ENV_NS):
        raise SoapFault.client("The request is not a SOAP envelope.")
    if namespace != SOAP_ENV_NS:
        raise SoapFault("VersionMismatch", "Only SOAP 1.1 is supported.")
    header = envelope.find(f"{{{SOAP_ENV_NS}}}Header")
    if header is not None:
        for block in header:
            if block.get(f"{{{SOAP_ENV_NS}}}mustUnderstand") in ("1", "true"):
                raise SoapFault("MustUnderstand", f"Header {local_name(block)!r} is not understood.")
    body_element = envelope.find(f"{{{SOAP_ENV_NS}}}Body")
    if body_element is None or len(body_element) == 0:
        raise SoapFault.client("The SOAP body is empty.")
    call = body_element[0]
    name = local_name(call)
    operation = OPERATIONS.get(name)
    if operation is None or etree.QName(call).namespace != INTUIT_NS:
        raise SoapFault.client(f"Unknown operation {name!r} (namespace {INTUIT_NS}).")

    given = {local_name(child): child.text or "" for child in call}
    params: dict[str, str | int] = {}
    for param, kind in operation.params:
        value = given.get(param, "")
        if kind == INT:
            try:
                params[param] = int(value.strip() or 0)
            except ValueError:
                raise SoapFault.client(f"{param} must be an integer.") from None
        else:
            params[param] = value
    return operation, params


def peek_ticket(head: bytes) -> tuple[str, str | None]:
    """From the first bytes of a SOAP call, before the rest has been read: the operation it calls and its
    ``ticket`` when that is the call's first parameter and complete within ``head`` (else ``None``)."""
    path: list[str] = []
    operation = ""
    try:
        for event, element in iter_beginning(head):
            if event == "start":
                path.append(local_name(element))
                if len(path) == 3 and path[:2] == ["Envelope", "Body"]:
                    operation = path[2]
                elif len(path) == 4 and path[:2] == ["Envelope", "Body"] and path[3] != "ticket":
                    return operation, None
            else:
                if len(path) == 4 and path[:2] == ["Envelope", "Body"]:
                    return operation, element.text or ""
                path.pop()
    except XMLRejected as exc:
        raise SoapFault.client(str(exc)) from None
    return operation, None


# --- writing an answer ----------------------------------------------------------------------------


def _envelope() -> tuple[etree._Element, etree._Element]:
    envelope = etree.Element(f"{{{SOAP_ENV_NS}}}Envelope", nsmap={"soap": SOAP_ENV_NS, "xsi": XSI_NS, "xsd": XSD_NS})
    return envelope, etree.SubElement(envelope, f"{{{SOAP_ENV_NS}}}Body")


def _serialise(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="utf-8")


def render_response(operation: Operation, result: str | int | list[str]) -> bytes:
    envelope, body = _envelope()
    response = etree.SubElement(body, f"{{{INTUIT_NS}}}{operation.name}Response", nsmap={None: INTUIT_NS})
    element = etree.SubElement(response, f"{{{INTUIT_NS}}}{operation.name}Result")
    if operation.result == STRING_ARRAY:
        for value in result:
            etree.SubElement(element, f"{{{INTUIT_NS}}}string").text = clean_text(value)
    elif operation.result == INT:
        element.text = str(int(result))
    else:
        element.text = clean_text(result)
    return _serialise(envelope)


def render_fault(fault: SoapFault) -> bytes:
    envelope, body = _envelope()
    element = etree.SubElement(body, f"{{{SOAP_ENV_NS}}}Fault")
    etree.SubElement(element, "faultcode").text = f"soap:{fault.code}"
    etree.SubElement(element, "faultstring").text = clean_text(fault.message)
    return _serialise(envelope)


def parse_response(body: bytes, operation: Operation) -> str | int | list[str]:
    """The result of a SOAP answer (used by the fake Web Connector); raises ``SoapFault`` for a fault."""
    try:
        envelope = parse_xml(body)
    except XMLRejected as exc:
        raise SoapFault.client(str(exc)) from None
    fault = envelope.find(f".//{{{SOAP_ENV_NS}}}Fault")
    if fault is not None:
        code = (fault.findtext("faultcode") or "").split(":")[-1]
        raise SoapFault(code, fault.findtext("faultstring") or "")
    result = envelope.find(f".//{{{INTUIT_NS}}}{operation.name}Result")
    if operation.result == STRING_ARRAY:
        return [] if result is None else [child.text or "" for child in result]
    text = "" if result is None else (result.text or "")
    return int(text) if operation.result == INT else text


# --- the WSDL -------------------------------------------------------------------------------------


def render_wsdl(location: str) -> bytes:
    """A document/literal WSDL for the eight operations, bound to ``location``."""
    w, s, xs = f"{{{WSDL_NS}}}", f"{{{WSDL_SOAP_NS}}}", f"{{{XSD_NS}}}"
    definitions = etree.Element(
        f"{w}definitions",
        nsmap={"wsdl": WSDL_NS, "soap": WSDL_SOAP_NS, "s": XSD_NS, "tns": INTUIT_NS},
        targetNamespace=INTUIT_NS,
    )
    types = etree.SubElement(definitions, f"{w}types")
    schema = etree.SubElement(types, f"{xs}schema", elementFormDefault="qualified", targetNamespace=INTUIT_NS)

    def element(parent, name: str, kind: str) -> None:
        type_name = "tns:ArrayOfString" if kind == STRING_ARRAY else f"s:{kind}"
        occurs = {"minOccurs": "1"} if kind == INT else {"minOccurs": "0"}
        etree.SubElement(parent, f"{xs}element", **occurs, maxOccurs="1", name=name, type=type_name)

    for operation in OPERATIONS.values():
        for name, fields in (
            (operation.name, operation.params),
            (f"{operation.name}Response", ((f"{operation.name}Result", operation.result),)),
        ):
            wrapper = etree.SubElement(schema, f"{xs}element", name=name)
            sequence = etree.SubElement(etree.SubElement(wrapper, f"{xs}complexType"), f"{xs}sequence")
            for field_name, kind in fields:
                element(sequence, field_name, kind)
    array = etree.SubElement(schema, f"{xs}complexType", name="ArrayOfString")
    etree.SubElement(
        etree.SubElement(array, f"{xs}sequence"),
        f"{xs}element",
        minOccurs="0",
        maxOccurs="unbounded",
        name="string",
        nillable="true",
        type="s:string",
    )

    for operation in OPERATIONS.values():
        for suffix, wrapper in (("SoapIn", operation.name), ("SoapOut", f"{operation.name}Response")):
            message = etree.SubElement(definitions, f"{w}message", name=f"{operation.name}{suffix}")
            etree.SubElement(message, f"{w}part", name="parameters", element=f"tns:{wrapper}")

    port_type = etree.SubElement(definitions, f"{w}portType", name="QBWebConnectorSvcSoap")
    for operation in OPERATIONS.values():
        op = etree.SubElement(port_type, f"{w}operation", name=operation.name)
        etree.SubElement(op, f"{w}input", message=f"tns:{operation.name}SoapIn")
        etree.SubElement(op, f"{w}output", message=f"tns:{operation.name}SoapOut")

    binding = etree.SubElement(
        definitions, f"{w}binding", name="QBWebConnectorSvcSoap", type="tns:QBWebConnectorSvcSoap"
    )
    etree.SubElement(binding, f"{s}binding", transport="http://schemas.xmlsoap.org/soap/http")
    for operation in OPERATIONS.values():
        op = etree.SubElement(binding, f"{w}operation", name=operation.name)
        etree.SubElement(op, f"{s}operation", soapAction=f"{INTUIT_NS}{operation.name}", style="document")
        for direction in ("input", "output"):
            etree.SubElement(etree.SubElement(op, f"{w}{direction}"), f"{s}body", use="literal")

    service = etree.SubElement(definitions, f"{w}service", name="QBWebConnectorSvc")
    port = etree.SubElement(service, f"{w}port", name="QBWebConnectorSvcSoap", binding="tns:QBWebConnectorSvcSoap")
    etree.SubElement(port, f"{s}address", location=location)
    return etree.tostring(definitions, xml_declaration=True, encoding="utf-8", pretty_print=True)
