"""The one SOAP endpoint the Web Connector polls (POST), and its WSDL (GET ``?wsdl``)."""

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.views.decorators.csrf import csrf_exempt

from integrations.qbwc import services
from integrations.qbwc.soap import SoapFault, endpoint_url, parse_request, render_fault, render_response, render_wsdl

logger = logging.getLogger(__name__)

XML = "text/xml; charset=utf-8"
MAX_BODY_BYTES = 32 * 1024 * 1024  # a qbXML response can be large; Django's form limit does not apply here

HANDLERS = {
    "serverVersion": lambda p: services.web_connector_server_version(),
    "clientVersion": lambda p: services.web_connector_client_version(version=p["strVersion"]),
    "authenticate": lambda p: services.web_connector_authenticate(username=p["strUserName"], password=p["strPassword"]),
    "sendRequestXML": lambda p: services.web_connector_send_request(
        ticket=p["ticket"],
        hcp_response=p["strHCPResponse"],
        company_file=p["strCompanyFileName"],
        country=p["qbXMLCountry"],
        major_version=p["qbXMLMajorVers"],
        minor_version=p["qbXMLMinorVers"],
    ),
    "receiveResponseXML": lambda p: services.web_connector_receive_response(
        ticket=p["ticket"], response=p["response"], hresult=p["hresult"], message=p["message"]
    ),
    "connectionError": lambda p: services.web_connector_connection_error(
        ticket=p["ticket"], hresult=p["hresult"], message=p["message"]
    ),
    "getLastError": lambda p: services.web_connector_last_error(ticket=p["ticket"]),
    "closeConnection": lambda p: services.web_connector_close(ticket=p["ticket"]),
}


@csrf_exempt
def web_connector_soap(request: HttpRequest) -> HttpResponse:
    if request.method == "GET" and any(key.lower() == "wsdl" for key in request.GET):
        return HttpResponse(render_wsdl(endpoint_url()), content_type=XML)
    if request.method != "POST":
        return HttpResponseNotAllowed(["GET", "POST"])
    try:
        body = request.read(MAX_BODY_BYTES + 1)
        if len(body) > MAX_BODY_BYTES:
            raise SoapFault.client("The request is too large.")
        operation, params = parse_request(body)
        result = HANDLERS[operation.name](params)
        return HttpResponse(render_response(operation, result), content_type=XML)
    except SoapFault as fault:
        logger.warning("Web Connector call refused: %s", fault.message[:200])
        response = HttpResponse(render_fault(fault), content_type=XML, status=500)
        # SOAP 1.1 answers a bad request with HTTP 500; it is the caller's fault, not an error of ours,
        # so keep it out of Django's "Internal Server Error" log (the line above records it).
        response._has_been_logged = True
        return response
    except Exception:
        logger.exception("Web Connector call failed")
        return HttpResponse(render_fault(SoapFault.server()), content_type=XML, status=500)
