"""Failed Web Connector sign-ins are limited per client address; past the limit, "nvu" unchecked."""

import pytest
from django.test import Client

from integrations.models import ConnectionStatus
from integrations.qbwc.models import WebConnectorSession
from tests.integrations.qbwc.conftest import URL
from tests.integrations.qbwc.fake_web_connector import FakeWebConnector
from tests.integrations.qbwc.test_soap_endpoint import bill

LIMIT = 3


@pytest.fixture(autouse=True)
def limit(settings):
    settings.QBWC_AUTH_FAILURE_LIMIT = LIMIT
    settings.QBWC_AUTH_FAILURE_WINDOW_SECONDS = 900


def soap_from(address: str):
    return FakeWebConnector(Client(REMOTE_ADDR=address), URL, "", "").call


def authenticate(call, connection, password):
    return call("authenticate", strUserName=connection.credentials["username"], strPassword=password)


def test_after_the_limit_even_the_right_password_gets_nvu_without_a_look_up(
    qbd_a, work, business_a, django_assert_num_queries
):
    connection, password = qbd_a
    work.add(connection, "job-1", bill())
    call = soap_from("198.51.100.7")
    for _ in range(LIMIT):
        assert authenticate(call, connection, password + "x") == ["", "nvu"]
    with django_assert_num_queries(0):
        assert authenticate(call, connection, password) == ["", "nvu"]
    assert not WebConnectorSession.objects.for_business(business_a).exists()


def test_below_the_limit_the_right_password_signs_in(qbd_a, work):
    connection, password = qbd_a
    work.add(connection, "job-1", bill())
    call = soap_from("198.51.100.7")
    for _ in range(LIMIT - 1):
        authenticate(call, connection, "wrong")
    ticket, status = authenticate(call, connection, password)
    assert ticket and status == ""


def test_another_address_is_not_blocked(qbd_a, work):
    connection, password = qbd_a
    work.add(connection, "job-1", bill())
    for _ in range(LIMIT):
        authenticate(soap_from("198.51.100.7"), connection, "wrong")
    ticket, status = authenticate(soap_from("203.0.113.5"), connection, password)
    assert ticket and status == ""


def test_unknown_user_names_count_too(qbd_a, work):
    connection, password = qbd_a
    call = soap_from("198.51.100.7")
    for n in range(LIMIT):
        assert call("authenticate", strUserName=f"qbd-guess-{n}", strPassword="x") == ["", "nvu"]
    assert authenticate(call, connection, password) == ["", "nvu"]


def test_a_success_does_not_clear_the_count(qbd_a, work):
    connection, password = qbd_a
    call = soap_from("198.51.100.7")
    for _ in range(LIMIT - 1):
        authenticate(call, connection, "wrong")
    assert authenticate(call, connection, password)[1] == "none"
    authenticate(call, connection, "wrong")
    assert authenticate(call, connection, password) == ["", "nvu"]


@pytest.mark.parametrize("status", [ConnectionStatus.DISCONNECTED, ConnectionStatus.NEEDS_RECONNECT])
def test_a_connection_that_is_no_longer_active_polling_with_its_password_is_not_a_failure(qbd_a, qbd_b, work, status):
    (old, old_password), (live, live_password) = qbd_a, qbd_b
    old.status = status
    old.save(update_fields=["status"])
    call = soap_from("198.51.100.7")
    for _ in range(LIMIT + 2):
        assert authenticate(call, old, old_password) == ["", "nvu"]
    assert authenticate(call, live, live_password)[1] == "none", "a retired connection locked out its neighbour"


def test_a_disconnected_connection_whose_credentials_are_gone_is_not_a_failure(qbd_a, qbd_b, work):
    """Disconnecting wipes the stored hash; the Web Connector may keep polling with the old password."""
    (old, old_password), (live, live_password) = qbd_a, qbd_b
    username = old.credentials["username"]
    old.status, old.credentials = ConnectionStatus.DISCONNECTED, {}
    old.save(update_fields=["status", "credentials"])
    call = soap_from("198.51.100.7")
    for _ in range(LIMIT + 2):
        assert call("authenticate", strUserName=username, strPassword=old_password) == ["", "nvu"]
    assert authenticate(call, live, live_password)[1] == "none"


def test_the_client_address_honours_trusted_proxies_only(qbd_a, work, settings):
    connection, password = qbd_a
    for n in range(LIMIT):
        client = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        authenticate(FakeWebConnector(client, URL, "", "").call, connection, "wrong")
    blocked = Client(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert authenticate(FakeWebConnector(blocked, URL, "", "").call, connection, password) == ["", "nvu"]
    settings.TRUSTED_PROXY_COUNT = 1  # behind one proxy: the address it saw is the client's
    assert authenticate(FakeWebConnector(blocked, URL, "", "").call, connection, password)[1] == "none"
