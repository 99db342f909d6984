"""Fixtures for the Web Connector tests: two businesses with QuickBooks Desktop, and a work source."""

from collections import defaultdict

import pytest

from accounts.models import Business
from integrations.providers.quickbooks_desktop.qbxml import parse_response
from integrations.qbwc.queue import use_work_source
from tests.integrations.qbwc.fake_web_connector import FakeWebConnector, create_web_connector_connection

URL = "/qbwc/"


class ListWork:
    """A work source as publishing is one: a queue per connection, results (refusals too) recorded by key.

    A request stays queued until its response is applied (at least once), and every call records
    which connection asked, so that tests can prove no other business's work was touched.
    """

    def __init__(self):
        self.queued = defaultdict(list)  # connection id -> [(request_key, qbXML)]
        self.owner = {}  # request_key -> connection id
        self.txn_ids = {}
        self.errors = {}
        self.calls = []  # (method, connection id, request_key)

    def add(self, connection, request_key, qbxml):
        self.queued[connection.id].append((request_key, qbxml))
        self.owner[request_key] = connection.id

    def next_request(self, connection):
        queue = self.queued[connection.id]
        work = queue[0] if queue else None
        self.calls.append(("next_request", connection.id, work[0] if work else None))
        return work

    def apply_response(self, connection, request_key, response_xml):
        self.calls.append(("apply_response", connection.id, request_key))
        assert self.owner[request_key] == connection.id, "a response was applied to another connection's work"
        self._done(connection, request_key)
        result = parse_response(response_xml)[0]
        if result["statusCode"] == 0:
            self.txn_ids[request_key] = result["TxnID"]
            return None
        self.errors[request_key] = result["statusMessage"]  # the work's own failure: the session goes on
        return None

    def request_failed(self, connection, request_key, error):
        self.calls.append(("request_failed", connection.id, request_key))
        assert self.owner[request_key] == connection.id
        self._done(connection, request_key)
        self.errors[request_key] = error

    def remaining(self, connection):
        return len(self.queued[connection.id])

    def _done(self, connection, request_key):
        self.queued[connection.id] = [w for w in self.queued[connection.id] if w[0] != request_key]


class Broken(ListWork):
    def next_request(self, connection):
        raise RuntimeError("database on fire at /srv/app/secret.py line 42")


@pytest.fixture
def work():
    with use_work_source(ListWork()) as source:
        yield source


@pytest.fixture
def business_a(db):
    return Business.objects.create(name="Alpha Ltd")


@pytest.fixture
def business_b(db):
    return Business.objects.create(name="Bravo Ltd")


@pytest.fixture
def qbd_a(business_a):
    """``(connection, password)`` of business A's QuickBooks Desktop connection."""
    return create_web_connector_connection(business=business_a)


@pytest.fixture
def qbd_b(business_b):
    return create_web_connector_connection(business=business_b)


@pytest.fixture
def connector(client):
    """``connector(connection, password, **kwargs)``: a FakeWebConnector signed in as that connection."""

    def make(connection, password, **kwargs):
        return FakeWebConnector(client, URL, connection.credentials["username"], password, **kwargs)

    return make


@pytest.fixture
def soap(client):
    """``soap("operation", **params)``: one SOAP call through Django's test client."""
    return FakeWebConnector(client, URL, "", "").call
