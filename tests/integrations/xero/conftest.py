"""Xero's client against the sandbox, in process: a connection made through the real OAuth flow to the sandbox's UK
organisation (Sandbox Trading Co, GBP, VAT), its lists synced through the list sync's engine, and documents coded
from those lists as the worker hands them over."""

import uuid
from datetime import date
from decimal import Decimal
from urllib.parse import unquote_plus

import pytest

from integrations.models import Connection
from integrations.providers import registry
from integrations.providers.document import Coding, PublishDocument
from tests.conftest import oauth_connect, sync_lists_now
from tests.lists import entries


def coding(connection: Connection, kind: str, code_or_name: str) -> Coding:
    """The entry of a synced list whose code (or name) is ``code_or_name``, as the worker hands it to the client."""
    rows = entries(connection, kind)
    row = rows.filter(code=code_or_name).first() or rows.get(name=code_or_name)
    return Coding(external_id=row.external_id, code=row.code, name=row.name, extra=row.extra)


def document(connection: Connection | None = None, **fields) -> PublishDocument:
    """A bill of Thames Office Supplies, coded 429 General Expenses at 20% VAT when ``connection`` is given."""
    job = uuid.uuid4().hex
    reference = str(uuid.uuid4())
    values = {
        "reference": reference,
        "idempotency_key": uuid.uuid4().hex,
        "kind": "cost",
        "contact_name": "Thames Office Supplies",
        "date": date(2030, 1, 5),
        "due_date": date(2030, 2, 4),
        "invoice_number": "TOS-" + job[:6],
        "currency": "GBP",
        "total": Decimal("120.00"),
        "tax": Decimal("20.00"),
        "category": "",
        "tax_rate": "",
        "description": "Paper and toner",
        "payment_method": "",
        "paid": False,
        "publish_as": "bill",
        "job_key": job,
        "maybe_sent": False,
        "source_url": f"http://testserver/b/{uuid.uuid4()}/items/{reference}/",
    }
    if connection is not None:
        values |= {
            "category_ref": coding(connection, "accounts", "429"),
            "tax_rate_ref": coding(connection, "tax_rates", "INPUT2"),
        }
    return PublishDocument(**(values | fields))


def client_of(connection: Connection):
    return registry.get("xero").client(connection)


def sync(connection: Connection) -> None:
    sync_lists_now(connection)


class Calls:
    """Provider requests as the sandbox saw them: (method, path, query, If-Modified-Since)."""

    def __init__(self, monkeypatch):
        from integrations.inprocess import InProcessProvider

        self.seen: list[tuple[str, str, str, str]] = []
        original = InProcessProvider.__call__

        def spy(app, environ, start_response):
            query = unquote_plus(environ.get("QUERY_STRING", ""))
            since = environ.get("HTTP_IF_MODIFIED_SINCE", "")
            self.seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"], query, since))
            return original(app, environ, start_response)

        monkeypatch.setattr(InProcessProvider, "__call__", spy)

    def paths(self, part: str) -> list[tuple[str, str, str, str]]:
        return [s for s in self.seen if part in s[1]]

    def api(self) -> list[tuple[str, str, str, str]]:
        return [s for s in self.seen if "/api.xro/" in s[1]]


@pytest.fixture
def calls(monkeypatch):
    return Calls(monkeypatch)


@pytest.fixture
def xero(client, world, sandbox_http):
    return oauth_connect(client, world.a, world.users["business_admin"], "xero")
