"""Bodies are capped before anybody is authenticated; only an open session may send a large one."""

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from lxml import etree

from integrations.qbwc.soap import INTUIT_NS, SOAP_ENV_NS
from tests.integrations.qbwc.conftest import URL
from tests.integrations.qbwc.test_soap_endpoint import OK_RESPONSE, bill, envelope, send, sign_in

KB = 1024


@pytest.fixture(autouse=True)
def caps(settings):
    settings.QBWC_MAX_BODY_BYTES = 1024 * KB
    settings.QBWC_UNAUTHENTICATED_MAX_BODY_BYTES = 64 * KB
    return settings


def call(operation: str, **params) -> str:
    inner = "".join(f"<{name}>{value}</{name}>" for name, value in params.items())
    return envelope(f'<{operation} xmlns="{INTUIT_NS}">{inner}</{operation}>')


def post(client, body: str | bytes, **extra):
    return client.post(URL, data=body, content_type="text/xml; charset=utf-8", **extra)


def assert_too_large(response):
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/xml")
    fault = etree.fromstring(response.content).find(f"{{{SOAP_ENV_NS}}}Body/{{{SOAP_ENV_NS}}}Fault")
    assert fault.findtext("faultcode") == "soap:Client"
    assert fault.findtext("faultstring") == "The request is too large."


def test_a_declared_length_over_the_hard_cap_is_refused_unread_and_without_a_query(client, db):
    body = call("authenticate", strUserName="someone", strPassword="x")
    # The test client's payload refuses reads past its content: answering at all proves nothing was read.
    with CaptureQueriesContext(db_connection) as queries:
        response = post(client, body, CONTENT_LENGTH=str(1024 * KB + 1))
    assert_too_large(response)
    assert len(queries) == 0


def test_a_large_authenticate_is_refused_before_authentication(client, qbd_a, django_assert_num_queries):
    connection, password = qbd_a
    padding = "x" * (64 * KB)
    body = call("authenticate", strUserName=connection.credentials["username"], strPassword=password + padding)
    with django_assert_num_queries(0):
        assert_too_large(post(client, body))


@pytest.mark.parametrize("operation", ["clientVersion", "serverVersion", "getLastError", "connectionError"])
def test_other_calls_over_64_kb_are_refused_without_a_query(client, db, operation, django_assert_num_queries):
    body = call(operation, ticket="4b0b7a55-0c4f-4d38-9d55-5b0e3e0e9f11", message="x" * (64 * KB))
    with django_assert_num_queries(0):
        assert_too_large(post(client, body))


@pytest.mark.parametrize("ticket", ["", "not-a-uuid", "4b0b7a55-0c4f-4d38-9d55-5b0e3e0e9f11"])
def test_a_large_response_without_an_open_session_is_refused(client, db, work, ticket, django_assert_max_num_queries):
    body = call("receiveResponseXML", ticket=ticket, response="", hresult="", message="x" * (64 * KB))
    with django_assert_max_num_queries(1):  # at most: is this ticket an open session?
        assert_too_large(post(client, body))
    assert work.calls == []


def test_a_large_response_whose_ticket_is_not_its_first_parameter_is_refused(client, soap, qbd_a, work):
    connection, password = qbd_a
    work.add(connection, "job-1", bill())
    ticket = sign_in(soap, connection, password)
    send(soap, ticket)
    body = call("receiveResponseXML", message="x" * (64 * KB), ticket=ticket, response="", hresult="")
    assert_too_large(post(client, body))
    assert work.txn_ids == {}


def test_a_large_response_of_an_open_session_is_read(client, soap, qbd_a, work):
    connection, password = qbd_a
    work.add(connection, "job-1", bill())
    ticket = sign_in(soap, connection, password)
    send(soap, ticket)
    response = etree.tostring(etree.fromstring(OK_RESPONSE.encode()), encoding="unicode")
    large = response.replace("</QBXML>", " " * (200 * KB) + "</QBXML>")
    answer = soap("receiveResponseXML", ticket=ticket, response=large, hresult="", message="")
    assert answer == 100
    assert work.txn_ids == {"job-1": "1A-1"}


def test_a_large_host_and_company_answer_of_an_open_session_is_read(client, soap, qbd_a, work):
    connection, password = qbd_a
    work.add(connection, "job-1", bill("INV-9"))
    ticket = sign_in(soap, connection, password)
    request = soap(
        "sendRequestXML",
        ticket=ticket,
        strHCPResponse="<QBXML>" + " " * (100 * KB) + "</QBXML>",
        strCompanyFileName=r"C:\Company.qbw",
        qbXMLCountry="US",
        qbXMLMajorVers=13,
        qbXMLMinorVers=0,
    )
    assert request == bill("INV-9")


def test_even_an_open_session_cannot_send_more_than_the_hard_cap(client, soap, qbd_a, work, caps):
    caps.QBWC_MAX_BODY_BYTES = 128 * KB
    connection, password = qbd_a
    work.add(connection, "job-1", bill())
    ticket = sign_in(soap, connection, password)
    send(soap, ticket)
    body = call("receiveResponseXML", ticket=ticket, response="", hresult="", message="x" * (128 * KB))
    assert_too_large(post(client, body))
    assert work.txn_ids == {}


def test_a_doctype_hidden_in_a_large_body_is_refused_before_any_query(client, db, django_assert_num_queries):
    body = '<!DOCTYPE x [<!ENTITY a "a">]>' + call("receiveResponseXML", ticket="&a;", message="x" * (64 * KB))
    with django_assert_num_queries(0):
        response = post(client, body)
    assert response.status_code == 500
    assert b"DOCTYPE" in response.content


def test_the_default_caps(settings):
    from dext_connections import settings as project_settings

    assert project_settings.QBWC_MAX_BODY_BYTES == 8 * 1024 * KB
    assert project_settings.QBWC_UNAUTHENTICATED_MAX_BODY_BYTES == 64 * KB
