"""Bill.com's client against the sandbox, in process: a connection made through the real credentials flow to the
sandbox organisation (Sandbox Trading Co), its lists synced through the list sync's engine, documents coded from
those lists, and the requests the sandbox saw."""

import uuid
from datetime import date
from decimal import Decimal
from urllib.parse import unquote_plus

import pytest

from integrations.models import Connection
from integrations.providers import registry
from integrations.providers.document import PublishDocument
from integrations.sandbox.organisations import organisation_get
from tests.conftest import bill_com_connect
from tests.lists import coding, entries, sync  # noqa: F401 (the suite imports them from here)


def document(**fields) -> PublishDocument:
    job = uuid.uuid4().hex
    values = {
        "reference": str(uuid.uuid4()),
        "idempotency_key": uuid.uuid4().hex,
        "kind": "cost",
        "contact_name": "Paper Co",
        "date": date(2030, 1, 5),
        "due_date": date(2030, 2, 4),
        "invoice_number": "INV-" + job[:6],
        "currency": "USD",
        "total": Decimal("120.00"),
        "tax": Decimal("20.00"),
        "category": "",
        "tax_rate": "",
        "description": "Paper and toner",
        "payment_method": "",
        "paid": False,
        "publish_as": "",
        "job_key": job,
        "maybe_sent": False,
    }
    return PublishDocument(**(values | fields))


def client_of(connection: Connection):
    return registry.get("bill_com").client(connection)


def sandbox_organisation():
    return organisation_get("bill_com", "sandbox-org")


@pytest.fixture
def bill(world, connect, sandbox_http):
    """Business A with Xero (its main ledger) and Bill.com connected through the credentials flow, lists synced."""
    connect(world.a, "xero")
    return bill_com_connect(world.a, world.users["business_admin"])


class Calls:
    """Provider requests, as the sandbox saw them: (method, path, decoded query)."""

    def __init__(self, monkeypatch):
        from integrations.inprocess import InProcessProvider

        self.seen: list[tuple[str, str, str]] = []
        original = InProcessProvider.__call__

        def spy(app, environ, start_response):
            query = unquote_plus(environ.get("QUERY_STRING", ""))
            self.seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], query))
            return original(app, environ, start_response)

        monkeypatch.setattr(InProcessProvider, "__call__", spy)

    def paths(self, part: str) -> list[tuple[str, str, str]]:
        return [s for s in self.seen if part in s[1]]


@pytest.fixture
def calls(monkeypatch):
    return Calls(monkeypatch)
