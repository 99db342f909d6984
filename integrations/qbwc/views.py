"""The one SOAP endpoint the Web Connector polls (POST), and its WSDL (GET ``?wsdl``).

Bodies are capped before anybody is authenticated. A Content-Length over ``QBWC_MAX_BODY_BYTES`` is
refused unread. Of any other body, only ``QBWC_UNAUTHENTICATED_MAX_BODY_BYTES`` (64 KB: every call a
stranger can make fits many times over) is read at first; a longer one is read on only when it is one
of the two calls that carry QuickBooks' XML (``receiveResponseXML``'s response, ``sendRequestXML``'s
host, company and preferences) and its ticket, their first parameter, is an open session. Either
refusal is a SOAP Client fault with HTTP 413.
"""

import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt

from dext_connections.throttle import client_address
from integrations.qbwc import services
from integrations.qbwc.soap import (
    SoapFault,
    endpoint_url,
    parse_request,
    peek_ticket,
    render_fault,
    render_response,
    render_wsdl,
)

logger = logging.getLogger(__name__)

XML = "text/xml; charset=utf-8"
# The calls whose body may be longer than QBWC_UNAUTHENTICATED_MAX_BODY_BYTES, given an open session's ticket.
LARGE_BODY_OPERATIONS = frozenset({"receiveResponseXML", "sendRequestXML"})


class RequestTooLarge(SoapFault):
    def __init__(self):
        super().__init__("Client", "The request is too large.")


# Each handler takes the call's parameters and the caller's address.
HANDLERS = {
    "serverVersion": lambda p, caller: services.web_connector_server_version(),
    "clientVersion": lambda p, caller: services.web_connector_client_version(version=p["strVersion"]),
    "authenticate": lambda p, caller: services.web_connector_authenticate(
        username=p["strUserName"], password=p["strPassword"], client_address=caller
    ),
    "sendRequestXML": lambda p, caller: services.web_connector_send_request(
        ticket=p["ticket"],
        hcp_response=p["strHCPResponse"],
        company_file=p["strCompanyFileName"],
        country=p["qbXMLCountry"],
        major_version=p["qbXMLMajorVers"],
        minor_version=p["qbXMLMinorVers"],
    ),
    "receiveResponseXML": lambda p, caller: services.web_connector_receive_response(
        ticket=p["ticket"], response=p["response"], hresult=p["hresult"], message=p["message"]
    ),
    "connectionError": lambda p, caller: services.web_connector_connection_error(
        ticket=p["ticket"], hresult=p["hresult"], message=p["message"]
    ),
    "getLastError": lambda p, caller: services.web_connector_last_error(ticket=p["ticket"]),
    "closeConnection": lambda p, caller: services.web_connector_close(ticket=p["ticket"]),
}


@csrf_exempt
def web_connector_soap(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and any(key.lower() == "wsdl" for key in request.GET):
        return HttpResponse(render_wsdl(endpoint_url()), content_type=XML)
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    try:
        operation, params = parse_request(_read_body(request))
        result = HANDLERS[operation.name](params, client_address(request))
        return HttpResponse(render_response(operation, result), content_type=XML)
    except SoapFault as fault:
        logger.warning("Web Connector call refused: %s", fault.message[:200])
        status = 413 if isinstance(fault, RequestTooLarge) else 500
        response = HttpResponse(render_fault(fault), content_type=XML, status=status)
        # SOAP 1.1 answers a bad request with HTTP 500; it is the caller's fault, not an error of ours,
        # so keep it out of Django's "Internal Server Error" log (the line above records it).
        response._has_been_logged = True
        return response
    except Exception:
        logger.exception("Web Connector call failed")
        return HttpResponse(render_fault(SoapFault.server()), content_type=XML, status=500)


def _read_body(request: HttpRequest) -> bytes:
    """The request body, within the caps of the module docstring; raises :class:`RequestTooLarge`."""
    limit, first_read = settings.QBWC_MAX_BODY_BYTES, settings.QBWC_UNAUTHENTICATED_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0  # Django then reads nothing at all
    if declared > limit:
        raise RequestTooLarge()
    head = request.read(first_read + 1)
    if len(head) <= first_read:
        return head
    operation, ticket = peek_ticket(head)
    if operation not in LARGE_BODY_OPERATIONS or not services.web_connector_ticket_is_open(ticket=ticket):
        raise RequestTooLarge()
    body = head + request.read(limit - len(head) + 1)
    if len(body) > limit:
        raise RequestTooLarge()
    return body
