"""QuickBooks Online's client against the sandbox, in process: a connection made through the real OAuth flow to
the US company (Sandbox Trading Co, USD) or the UK one (Sandbox Trading Ltd, GBP, VAT), its lists synced through
the list sync's engine, and documents coded from those lists."""

import uuid
from datetime import date
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from integrations.models import Connection
from integrations.providers import registry
from integrations.providers.document import PublishDocument
from integrations.sandbox.organisations import organisations_for
from tests.lists import coding, entries, sync  # noqa: F401 (the suite imports them from here)

US, UK = 0, 2  # positions of the sandbox's companies


def connect_company(client, business, user, position: int) -> Connection:
    """Connect QuickBooks Online the way a person does, choosing the sandbox's ``position``-th company."""
    client.force_login(user)
    started = client.post(
        f"/api/v1/businesses/{business.id}/connections/",
        {"provider": "quickbooks_online"},
        content_type="application/json",
    )
    assert started.status_code == 202, started.content
    parts = urlsplit(started.json()["authorize_url"])
    assert client.get(f"{parts.path}?{parts.query}").status_code == 200
    realm = organisations_for("quickbooks_online")[position].external_id
    form = [*parse_qsl(parts.query), ("decision", "allow"), ("org", realm)]
    answer = client.post(parts.path, urlencode(form), content_type="application/x-www-form-urlencoded")
    location = urlsplit(answer["Location"])
    landed = client.get(f"{location.path}?{location.query}")
    assert landed.status_code == 302, landed.content
    return Connection.objects.for_business(business).get(provider="quickbooks_online", status="active")


def document(**fields) -> PublishDocument:
    job = uuid.uuid4().hex
    values = {
        "reference": str(uuid.uuid4()),
        "idempotency_key": uuid.uuid4().hex,
        "kind": "cost",
        "contact_name": "Office Supplies Co",
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


@pytest.fixture
def us(client, world, sandbox_http):
    connection = connect_company(client, world.a, world.users["business_admin"], US)
    sync(connection)
    return connection


@pytest.fixture
def uk(client, world, sandbox_http):
    connection = connect_company(client, world.b, world.users["b_admin"], UK)
    sync(connection)
    return connection


def client_of(connection: Connection):
    return registry.get("quickbooks_online").client(connection)
