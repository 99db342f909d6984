"""The SOAP endpoint, one operation at a time: WSDL, sign-in, tickets, faults."""

from datetime import timedelta

import pytest
from django.utils import timezone
from lxml import etree

from integrations.models import ConnectionStatus
from integrations.providers.quickbooks_desktop.qbxml import bill_add_rq
from integrations.qbwc import services
from integrations.qbwc.models import WebConnectorSession
from integrations.qbwc.queue import use_work_source
from integrations.qbwc.soap import INTUIT_NS, OPERATIONS, SOAP_ENV_NS, SoapFault
from tests.integrations.qbwc.conftest import URL, Broken

WSDL = "http://schemas.xmlsoap.org/wsdl/"
WSDL_SOAP = "http://schemas.xmlsoap.org/wsdl/soap/"


def bill(ref="INV-1", account="Office Supplies"):
    return bill_add_rq(vendor_name="Acme", txn_date="2026-01-02", ref_number=ref, lines=[(account, "10.00", "")])


def post(client, body: bytes | str):
    return client.post(URL, data=body, content_type="text/xml; charset=utf-8")


def fault_of(response) -> tuple[str, str]:
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/xml")
    root = etree.fromstring(response.content)
    fault = root.find(f"{{{SOAP_ENV_NS}}}Body/{{{SOAP_ENV_NS}}}Fault")
    assert fault is not None, response.content
    return fault.findtext("faultcode"), fault.findtext("faultstring")


def envelope(inner: str) -> str:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="{SOAP_ENV_NS}"><soap:Body>'
        f"{inner}</soap:Body></soap:Envelope>"
    )


# --- WSDL -----------------------------------------------------------------------------------------


def test_wsdl_is_served_for_the_intuit_namespace(client, settings):
    settings.SITE_URL = "https://dext.example.test"
    response = client.get(URL + "?wsdl")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    root = etree.fromstring(response.content)
    assert root.tag == f"{{{WSDL}}}definitions"
    assert root.get("targetNamespace") == INTUIT_NS
    port_ops = {op.get("name") for op in root.find(f"{{{WSDL}}}portType")}
    assert port_ops == {
        "serverVersion",
        "clientVersion",
        "authenticate",
        "sendRequestXML",
        "receiveResponseXML",
        "connectionError",
        "getLastError",
        "closeConnection",
    }
    actions = {op.get("soapAction") for op in root.iter(f"{{{WSDL_SOAP}}}operation")}
    assert actions == {f"{INTUIT_NS}{name}" for name in port_ops}
    assert root.find(f".//{{{WSDL_SOAP}}}address").get("location") == "https://dext.example.test/qbwc/"
    schema_elements = {e.get("name") for e in root.iter("{http://www.w3.org/2001/XMLSchema}element")}
    assert {"authenticateResponse", "authenticateResult", "strUserName", "qbXMLMajorVers"} <= schema_elements


def test_get_without_wsdl_is_not_allowed(client):
    assert client.get(URL).status_code == 405


# --- the simple operations ------------------------------------------------------------------------


def test_server_version(soap):
    assert soap("serverVersion") == services.SERVER_VERSION


@pytest.mark.parametrize("version", ["", "2.3.0.215", "1.0"])
def test_client_version_accepts_every_version(soap, version):
    assert soap("clientVersion", strVersion=version) == ""


def test_answers_are_proper_soap_envelopes(client):
    response = post(
        client, envelope(f'<clientVersion xmlns="{INTUIT_NS}"><strVersion>2.3</strVersion></clientVersion>')
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = etree.fromstring(response.content)
    assert root.tag == f"{{{SOAP_ENV_NS}}}Envelope"
    answer = root.find(f"{{{SOAP_ENV_NS}}}Body/{{{INTUIT_NS}}}clientVersionResponse")
    assert answer is not None
    assert answer.find(f"{{{INTUIT_NS}}}clientVersionResult") is not None


# --- authenticate ---------------------------------------------------------------------------------


def test_authenticate_with_work_waiting_returns_a_ticket_and_empty_status(soap, qbd_a, work, business_a):
    connection, password = qbd_a
    work.add(connection, "job-1", bill())
    ticket, status = soap("authenticate", strUserName=connection.credentials["username"], strPassword=password)
    assert status == ""
    session = WebConnectorSession.objects.for_business(business_a).get(ticket=ticket)
    assert session.connection_id == connection.id


def test_authenticate_array_is_two_string_elements(client, qbd_a, work):
    connection, password = qbd_a
    response = post(
        client,
        envelope(
            f'<authenticate xmlns="{INTUIT_NS}"><strUserName>{connection.credentials["username"]}</strUserName>'
            f"<strPassword>{password}</strPassword></authenticate>"
        ),
    )
    result = etree.fromstring(response.content).find(f".//{{{INTUIT_NS}}}authenticateResult")
    assert [child.tag for child in result] == [f"{{{INTUIT_NS}}}string"] * 2
    assert result[1].text in (None, "none")


def test_authenticate_without_work_says_none(soap, qbd_a, work, business_a):
    connection, password = qbd_a
    ticket, status = soap("authenticate", strUserName=connection.credentials["username"], strPassword=password)
    assert status == "none"
    assert ticket
    assert not WebConnectorSession.objects.for_business(business_a).exists()


def test_authenticate_refuses_a_wrong_password(soap, qbd_a, work):
    connection, password = qbd_a
    work.add(connection, "job-1", bill())
    assert soap("authenticate", strUserName=connection.credentials["username"], strPassword=password + "x") == [
        "",
        "nvu",
    ]
    assert soap("authenticate", strUserName=connection.credentials["username"], strPassword="") == ["", "nvu"]


def test_authenticate_refuses_an_unknown_user(soap, qbd_a):
    _, password = qbd_a
    assert soap("authenticate", strUserName="qbd-nobody-abcdef", strPassword=password) == ["", "nvu"]
    assert soap("authenticate", strUserName="", strPassword="") == ["", "nvu"]


@pytest.mark.parametrize("status", [ConnectionStatus.DISCONNECTED, ConnectionStatus.NEEDS_RECONNECT])
def test_authenticate_refuses_a_connection_that_is_not_active(soap, qbd_a, work, status):
    connection, password = qbd_a
    work.add(connection, "job-1", bill())
    connection.status = status
    connection.save(update_fields=["status"])
    assert soap("authenticate", strUserName=connection.credentials["username"], strPassword=password) == ["", "nvu"]


def test_authenticate_refuses_another_business_password(soap, qbd_a, qbd_b, work):
    (connection_a, password_a), (connection_b, password_b) = qbd_a, qbd_b
    work.add(connection_a, "job-a", bill())
    work.add(connection_b, "job-b", bill())
    assert soap("authenticate", strUserName=connection_a.credentials["username"], strPassword=password_b) == [
        "",
        "nvu",
    ]
    assert soap("authenticate", strUserName=connection_b.credentials["username"], strPassword=password_a) == [
        "",
        "nvu",
    ]


def test_authenticate_finds_a_connection_created_with_plain_credentials(soap, business_a, work):
    """The shape the connect flow stores: credentials without the password, user name as external_tenant_id."""
    from integrations.models import Connection
    from integrations.qbwc.credentials import generate_web_connector_credentials

    generated = generate_web_connector_credentials(business_name=business_a.name)
    connection = Connection.objects.create(
        business=business_a,
        provider="quickbooks_desktop",
        kind="main",
        external_tenant_id=generated["username"],
        credentials={k: v for k, v in generated.items() if k != "password"},
    )
    work.add(connection, "job-1", bill())
    assert soap("authenticate", strUserName=generated["username"], strPassword=generated["password"])[1] == ""


# --- sendRequestXML / receiveResponseXML / getLastError / closeConnection ------------------------


def sign_in(soap, connection, password):
    ticket, status = soap("authenticate", strUserName=connection.credentials["username"], strPassword=password)
    assert status == ""
    return ticket


def send(soap, ticket, major=13):
    return soap(
        "sendRequestXML",
        ticket=ticket,
        strHCPResponse="",
        strCompanyFileName=r"C:\Company.qbw",
        qbXMLCountry="US",
        qbXMLMajorVers=major,
        qbXMLMinorVers=0,
    )


OK_RESPONSE = (
    '<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><BillAddRs requestID="1" statusCode="0" statusSeverity="Info" '
    'statusMessage="Status OK"><BillRet><TxnID>1A-1</TxnID><RefNumber>INV-1</RefNumber></BillRet></BillAddRs>'
    "</QBXMLMsgsRs></QBXML>"
)


def test_send_request_hands_out_the_next_qbxml_and_remembers_its_key(soap, qbd_a, work, business_a):
    connection, password = qbd_a
    work.add(connection, "job-1", bill("INV-1"))
    work.add(connection, "job-2", bill("INV-2"))
    ticket = sign_in(soap, connection, password)
    assert send(soap, ticket) == bill("INV-1")
    session = WebConnectorSession.objects.for_business(business_a).get(ticket=ticket)
    assert session.pending_request_key == "work:job-1", "the key of the source that handed it out, and its own"
    assert session.company_file == r"C:\Company.qbw"


def test_receive_response_reports_percent_done_then_100(soap, qbd_a, work):
    connection, password = qbd_a
    work.add(connection, "job-1", bill("INV-1"))
    work.add(connection, "job-2", bill("INV-2"))
    ticket = sign_in(soap, connection, password)
    send(soap, ticket)
    assert soap("receiveResponseXML", ticket=ticket, response=OK_RESPONSE, hresult="", message="") == 50
    assert work.txn_ids == {"job-1": "1A-1"}
    assert send(soap, ticket) == bill("INV-2")
    assert soap("receiveResponseXML", ticket=ticket, response=OK_RESPONSE, hresult="", message="") == 100
    assert send(soap, ticket) == ""  # nothing left
    assert soap("getLastError", ticket=ticket) == ""


def test_receive_response_without_a_pending_request_is_an_error(soap, qbd_a, work):
    connection, password = qbd_a
    work.add(connection, "job-1", bill())
    ticket = sign_in(soap, connection, password)
    assert soap("receiveResponseXML", ticket=ticket, response=OK_RESPONSE, hresult="", message="") == -1
    assert "no request was waiting" in soap("getLastError", ticket=ticket)
    assert work.txn_ids == {}


def test_a_request_quickbooks_could_not_parse_fails_that_work_and_the_session_goes_on(soap, qbd_a, work):
    connection, password = qbd_a
    work.add(connection, "job-1", bill())
    work.add(connection, "job-2", bill("INV-2"))
    ticket = sign_in(soap, connection, password)
    send(soap, ticket)
    percent = soap("receiveResponseXML", ticket=ticket, response="", hresult="0x80040400", message="Parse error.")
    assert percent == 50
    assert "0x80040400" in work.errors["job-1"]
    assert soap("getLastError", ticket=ticket) == ""
    assert send(soap, ticket) == bill("INV-2")


def test_quickbooks_unable_to_work_ends_the_run_and_keeps_the_work_for_the_next(soap, qbd_a, work):
    """Any other HRESULT is QuickBooks' state, not the request's: nothing fails, the Web Connector is told why."""
    connection, password = qbd_a
    work.add(connection, "job-1", bill())
    ticket = sign_in(soap, connection, password)
    send(soap, ticket)
    busy = "A QuickBooks dialog is open; close it and try again."
    assert soap("receiveResponseXML", ticket=ticket, response="", hresult="0x80040416", message=busy) == -1
    assert "0x80040416" in soap("getLastError", ticket=ticket)
    assert work.errors == {} and work.remaining(connection) == 1


def test_connection_error_answers_done_and_get_last_error_says_why(soap, qbd_a, work):
    connection, password = qbd_a
    work.add(connection, "job-1", bill())
    ticket = sign_in(soap, connection, password)
    assert soap("connectionError", ticket=ticket, hresult="0x80040408", message="Could not start QuickBooks.") == "done"
    error = soap("getLastError", ticket=ticket)
    assert "0x80040408" in error
    assert "Could not start QuickBooks." in error


def test_close_connection_ends_the_ticket(soap, qbd_a, work, business_a):
    connection, password = qbd_a
    work.add(connection, "job-1", bill())
    ticket = sign_in(soap, connection, password)
    assert soap("closeConnection", ticket=ticket) == "OK"
    assert WebConnectorSession.objects.for_business(business_a).get(ticket=ticket).closed_at is not None
    assert send(soap, ticket) == ""
    assert soap("receiveResponseXML", ticket=ticket, response=OK_RESPONSE, hresult="", message="") == -1
    assert work.calls == [], "a closed ticket reached the work source"
    assert soap("closeConnection", ticket=ticket) == "OK"


@pytest.mark.parametrize("ticket", ["", "not-a-uuid", "4b0b7a55-0c4f-4d38-9d55-5b0e3e0e9f11"])
def test_unknown_tickets_get_nothing(db, soap, work, ticket):
    assert send(soap, ticket) == ""
    assert soap("receiveResponseXML", ticket=ticket, response=OK_RESPONSE, hresult="", message="") == -1
    assert soap("getLastError", ticket=ticket) == services.UNKNOWN_TICKET
    assert soap("connectionError", ticket=ticket, hresult="0x1", message="x") == "done"
    assert soap("closeConnection", ticket=ticket) == "OK"
    assert work.calls == []


def test_an_idle_ticket_expires(soap, qbd_a, work, business_a):
    connection, password = qbd_a
    work.add(connection, "job-1", bill())
    ticket = sign_in(soap, connection, password)
    WebConnectorSession.objects.for_business(business_a).filter(ticket=ticket).update(
        last_seen_at=timezone.now() - services.SESSION_IDLE_TIMEOUT - timedelta(seconds=1)
    )
    assert send(soap, ticket) == ""
    assert work.calls == []


def test_a_connection_disconnected_mid_session_stops_handing_out_work(soap, qbd_a, work):
    connection, password = qbd_a
    work.add(connection, "job-1", bill())
    ticket = sign_in(soap, connection, password)
    connection.status = ConnectionStatus.DISCONNECTED
    connection.save(update_fields=["status"])
    assert send(soap, ticket) == ""
    assert soap("getLastError", ticket=ticket) == services.CONNECTION_INACTIVE
    assert work.calls == []


def test_quickbooks_too_old_for_qbxml_13_is_told_so(soap, qbd_a, work):
    connection, password = qbd_a
    work.add(connection, "job-1", bill())
    ticket = sign_in(soap, connection, password)
    assert send(soap, ticket, major=8) == ""
    assert "qbXML 13.0" in soap("getLastError", ticket=ticket)


def test_sessions_prune_deletes_old_sessions(soap, qbd_a, work, business_a):
    connection, password = qbd_a
    work.add(connection, "job-1", bill())
    sign_in(soap, connection, password)
    assert services.web_connector_sessions_prune(older_than=timedelta(days=1)) == 0
    WebConnectorSession.objects.for_business(business_a).update(created_at=timezone.now() - timedelta(days=2))
    assert services.web_connector_sessions_prune(older_than=timedelta(days=1)) == 1


# --- faults ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not xml at all",
        b"<soap:Envelope xmlns:soap='http://schemas.xmlsoap.org/soap/envelope/'><soap:Body>",  # truncated
        b"<hello/>",  # not an envelope
        envelope("").encode(),  # empty body
    ],
)
def test_malformed_requests_get_a_client_fault_with_http_500(client, body):
    code, message = fault_of(post(client, body))
    assert code == "soap:Client"
    assert message
    assert "Traceback" not in message


def test_an_unknown_operation_gets_a_fault(client):
    code, message = fault_of(post(client, envelope(f'<deleteEverything xmlns="{INTUIT_NS}"/>')))
    assert code == "soap:Client"
    assert "deleteEverything" in message


def test_an_operation_in_another_namespace_gets_a_fault(client):
    code, _ = fault_of(post(client, envelope('<serverVersion xmlns="http://example.com/"/>')))
    assert code == "soap:Client"


def test_soap_1_2_gets_a_version_mismatch_fault(client):
    body = (
        '<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"><env:Body>'
        f'<serverVersion xmlns="{INTUIT_NS}"/></env:Body></env:Envelope>'
    )
    code, _ = fault_of(post(client, body))
    assert code == "soap:VersionMismatch"


def test_a_non_integer_version_gets_a_fault(client):
    body = envelope(
        f'<sendRequestXML xmlns="{INTUIT_NS}"><ticket>x</ticket><qbXMLMajorVers>x</qbXMLMajorVers></sendRequestXML>'
    )
    code, message = fault_of(post(client, body))
    assert code == "soap:Client"
    assert "qbXMLMajorVers" in message


@pytest.mark.parametrize(
    ("doctype", "entity"),
    [
        ('<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;"),
        ('<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>', "&b;"),
        ('<!DOCTYPE x SYSTEM "http://127.0.0.1:1/evil.dtd">', ""),
    ],
)
def test_entities_and_doctypes_are_refused(client, doctype, entity):
    inner = f'<clientVersion xmlns="{INTUIT_NS}"><strVersion>{entity}</strVersion></clientVersion>'
    body = doctype + envelope(inner).replace('<?xml version="1.0" encoding="utf-8"?>', "")
    response = post(client, body)
    code, message = fault_of(response)
    assert code == "soap:Client"
    assert "DOCTYPE" in message
    assert b"root:" not in response.content


def test_a_failure_inside_the_service_is_a_server_fault_without_a_traceback(client, soap, qbd_a, caplog):
    connection, password = qbd_a
    source = Broken()
    source.add(connection, "job-1", bill())
    with use_work_source(source):
        ticket = sign_in(soap, connection, password)
        with pytest.raises(SoapFault) as raised:
            send(soap, ticket)
    assert raised.value.code == "Server"
    assert "fire" not in raised.value.message
    assert "secret.py" not in raised.value.message


def test_every_operation_is_routed(db, soap):
    """Each operation in the table answers (a fault would raise)."""
    params = {
        "sendRequestXML": {"ticket": ""},
        "receiveResponseXML": {"ticket": ""},
        "connectionError": {"ticket": "", "hresult": "", "message": ""},
        "getLastError": {"ticket": ""},
        "closeConnection": {"ticket": ""},
        "authenticate": {"strUserName": "", "strPassword": ""},
        "clientVersion": {"strVersion": ""},
        "serverVersion": {},
    }
    assert set(params) == set(OPERATIONS)
    for name, kwargs in params.items():
        soap(name, **kwargs)
