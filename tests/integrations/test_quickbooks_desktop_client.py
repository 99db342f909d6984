"""QuickBooks Desktop behind the Provider interface: a pull client that walks a PublishDocument through its qbXML
steps, with no ORM object in sight (publishing keeps the jobs and their steps; see publishing/web_connector.py)."""

from datetime import date
from decimal import Decimal

import pytest

from integrations.providers import registry
from integrations.providers.base import Delivery, ExternalRef, ValidationError
from integrations.providers.document import PublishDocument
from integrations.providers.quickbooks_desktop import QuickBooksDesktop
from integrations.providers.quickbooks_desktop.client import ADD, QUERY, VENDOR, VENDOR_ADD
from integrations.sandbox import selectors as sandbox
from tests.integrations.qbwc.fake_web_connector import FakeQuickBooks, create_web_connector_connection


def document(**fields) -> PublishDocument:
    values = {
        "reference": "3f2c6a3e-0000-4000-8000-000000000001",
        "idempotency_key": "k",
        "kind": "cost",
        "contact_name": "Paper Co",
        "date": date(2026, 11, 2),
        "due_date": None,
        "invoice_number": "INV-9",
        "currency": "USD",
        "total": Decimal("120.00"),
        "tax": None,
        "category": "Office Supplies",
        "tax_rate": "",
        "description": "",
        "payment_method": "",
        "paid": False,
        "publish_as": "",
    }
    return PublishDocument(**(values | fields))


@pytest.fixture
def pull(world):
    connection, _ = create_web_connector_connection(business=world.a)
    return registry.get(connection.provider).pull_client(connection)


def test_quickbooks_desktop_is_a_pull_provider_with_its_own_label():
    provider = registry.get(QuickBooksDesktop.key)
    assert provider.delivery is Delivery.PULL and provider.waits_for_pull
    assert provider.pull_label == "Waiting for QuickBooks Desktop"
    assert not any(p.waits_for_pull for p in registry.all_providers() if p.key != QuickBooksDesktop.key)


def test_a_bill_walks_query_vendor_add_and_lands_once(pull):
    qb = FakeQuickBooks()
    doc = document()
    step, seen = pull.first_step(doc), []
    while True:
        seen.append(step)
        answer = pull.read_response(doc, step, qb.process(pull.next_request(doc, step)))
        if not answer.next_step:
            break
        step = answer.next_step
    assert seen == [QUERY, VENDOR, VENDOR_ADD, ADD]
    assert isinstance(answer.outcome, ExternalRef) and answer.outcome.external_id == qb.bills[0].txn_id
    assert [(b.vendor_name, b.ref_number, b.memo) for b in qb.bills] == [("Paper Co", "INV-9", f"Dext {doc.reference}")]
    landed = {d["id"]: d for d in sandbox.documents_list(provider=QuickBooksDesktop.key)}
    assert landed[qb.bills[0].txn_id]["reference"] == doc.reference


def test_the_query_finds_a_bill_that_is_already_there(pull):
    qb = FakeQuickBooks(vendors=["Paper Co"])
    doc = document()
    for step in (VENDOR, ADD):  # an earlier exchange added it; its answer was lost
        pull.read_response(doc, step, qb.process(pull.next_request(doc, step)))
    answer = pull.read_response(doc, QUERY, qb.process(pull.next_request(doc, QUERY)))
    assert answer.outcome == ExternalRef(external_id=qb.bills[0].txn_id) and len(qb.bills) == 1


def test_sales_go_straight_to_the_invoice_and_refusals_are_the_documents_own(pull):
    qb = FakeQuickBooks(customers=[])
    sale = document(kind="sales", contact_name="Nobody Ltd")
    assert pull.first_step(sale) == ADD
    answer = pull.read_response(sale, ADD, qb.process(pull.next_request(sale, ADD)))
    assert isinstance(answer.outcome, ValidationError) and answer.outcome.message
    failed = pull.request_failed(document(), ADD, "0x80040400: parse error")
    assert failed.message == "QuickBooks Desktop could not process the request: 0x80040400: parse error"
