"""Whole Web Connector sessions, driven by the fake Web Connector over real SOAP calls."""

from decimal import Decimal

import httpx
import pytest

from integrations.providers.quickbooks_desktop.qbxml import (
    bill_add_rq,
    bill_query_rq,
    parse_response,
    vendor_add_rq,
    vendor_query_rq,
)
from integrations.qbwc.models import WebConnectorSession
from integrations.qbwc.queue import use_work_source
from tests.integrations.qbwc.conftest import ListWork
from tests.integrations.qbwc.fake_web_connector import FakeQuickBooks, FakeWebConnector, create_web_connector_connection


def bill(ref, *, vendor="Acme Supplies", account="Office Supplies", amount="120.50"):
    return bill_add_rq(
        vendor_name=vendor,
        txn_date="2026-03-01",
        due_date="2026-03-31",
        ref_number=ref,
        memo=f"Bill {ref}",
        lines=[(account, amount, "Paper")],
    )


def test_a_session_publishes_two_bills_and_stores_their_txn_ids(connector, qbd_a, work, business_a):
    connection, password = qbd_a
    work.add(connection, "job-1", bill("INV-1"))
    work.add(connection, "job-2", bill("INV-2", amount="9.99"))
    qb = FakeQuickBooks(vendors=["Acme Supplies"])

    run = connector(connection, password, quickbooks=qb).run()

    assert run.auth_status == ""
    assert run.percents == [50, 100]
    assert [b.ref_number for b in qb.bills] == ["INV-1", "INV-2"]
    assert [b.amount for b in qb.bills] == [Decimal("120.50"), Decimal("9.99")]
    assert work.txn_ids == {"job-1": qb.bills[0].txn_id, "job-2": qb.bills[1].txn_id}
    assert run.errors == []
    assert run.close_message == "OK"
    session = WebConnectorSession.objects.for_business(business_a).get()
    assert session.closed_at is not None
    assert session.completed_requests == 2
    assert session.company_file == qb.company_file


def test_status_3140_fails_that_document_only_and_the_session_goes_on(connector, qbd_a, work):
    connection, password = qbd_a
    work.add(connection, "job-1", bill("INV-1"))
    work.add(connection, "job-2", bill("INV-2", account="No Such Account"))
    work.add(connection, "job-3", bill("INV-3"))
    qb = FakeQuickBooks(vendors=["Acme Supplies"])

    run = connector(connection, password, quickbooks=qb).run()

    assert run.percents == [33, 66, 100], "a document's refusal never answers negative"
    assert run.errors == [] and run.close_message == "OK"
    assert 'invalid reference to QuickBooks Account "No Such Account"' in work.errors["job-2"]
    assert work.txn_ids == {"job-1": qb.bills[0].txn_id, "job-3": qb.bills[1].txn_id}
    assert [b.ref_number for b in qb.bills] == ["INV-1", "INV-3"]


def test_a_request_quickbooks_cannot_parse_fails_that_work_item(connector, qbd_a, work):
    connection, password = qbd_a
    work.add(connection, "job-1", bill("INV-1"))
    out_of_order = bill("INV-2").replace("<RefNumber>INV-2</RefNumber>\n", "")
    out_of_order = out_of_order.replace("<BillAdd>", "<BillAdd>\n      <RefNumber>INV-2</RefNumber>")
    work.add(connection, "job-2", out_of_order)
    work.add(connection, "job-3", bill("INV-3"))
    qb = FakeQuickBooks(vendors=["Acme Supplies"])

    run = connector(connection, password, quickbooks=qb).run()

    assert run.percents == [33, 66, 100]
    assert run.exchanges[1].hresult == "0x80040400"
    assert run.errors == []
    assert "0x80040400" in work.errors["job-2"]
    assert [b.ref_number for b in qb.bills] == ["INV-1", "INV-3"]


def test_quickbooks_busy_ends_the_run_and_the_request_goes_again_next_time(connector, qbd_a, work):
    connection, password = qbd_a
    work.add(connection, "job-1", bill("INV-1"))
    qb = FakeQuickBooks(vendors=["Acme Supplies"])
    qb.fail_next("0x80040410", "The company file is open in another mode.")

    run = connector(connection, password, quickbooks=qb).run()

    assert run.percents == [-1] and "0x80040410" in run.last_error
    assert work.errors == {} and qb.bills == []
    run = connector(connection, password, quickbooks=qb).run()
    assert run.percents == [100] and [b.ref_number for b in qb.bills] == ["INV-1"]


def test_nothing_queued_ends_the_run_after_authenticate(connector, qbd_a, work, business_a):
    connection, password = qbd_a
    run = connector(connection, password).run()
    assert run.auth_status == "none"
    assert run.exchanges == []
    assert not WebConnectorSession.objects.for_business(business_a).exists()


def test_a_wrong_password_ends_the_run_with_nvu(connector, qbd_a, work):
    connection, password = qbd_a
    work.add(connection, "job-1", bill("INV-1"))
    run = connector(connection, "not-the-password").run()
    assert (run.ticket, run.auth_status) == ("", "nvu")
    assert work.calls == []


def test_quickbooks_not_opening_is_reported_through_connection_error(connector, qbd_a, work):
    connection, password = qbd_a
    work.add(connection, "job-1", bill("INV-1"))
    run = connector(connection, password, quickbooks=FakeQuickBooks(can_open=False)).run()
    assert run.connection_error_answer == "done"
    assert "Could not start QuickBooks" in run.last_error
    assert run.close_message == "OK"
    assert work.remaining(connection) == 1


class Recording(ListWork):
    """Keeps every parsed response, and treats none as an error (queries answer statusCode 1)."""

    def __init__(self):
        super().__init__()
        self.results = {}

    def apply_response(self, connection, request_key, response_xml):
        self._done(connection, request_key)
        self.results[request_key] = parse_response(response_xml)[0]
        return None


def test_query_before_add_finds_the_bill_it_added(connector, qbd_a):
    """The publishing pattern: look the vendor and the bill up, add only what is missing."""
    connection, password = qbd_a
    qb = FakeQuickBooks(vendors=[])
    with use_work_source(Recording()) as source:
        source.add(connection, "vendor-q", vendor_query_rq("Acme Supplies"))
        source.add(connection, "vendor-add", vendor_add_rq("Acme Supplies"))
        source.add(connection, "bill-q", bill_query_rq("Acme Supplies", "INV-1"))
        source.add(connection, "bill-add", bill("INV-1"))
        source.add(connection, "bill-q-again", bill_query_rq("Acme Supplies", "INV-1"))
        run = connector(connection, password, quickbooks=qb).run()

    assert run.percents == [20, 40, 60, 80, 100]
    codes = {key: result["statusCode"] for key, result in source.results.items()}
    assert codes == {"vendor-q": 1, "vendor-add": 0, "bill-q": 1, "bill-add": 0, "bill-q-again": 0}
    again = source.results["bill-q-again"]
    assert again["TxnID"] == source.results["bill-add"]["TxnID"] == qb.bills[0].txn_id
    assert again["rets"][0]["RefNumber"] == "INV-1"
    assert again["rets"][0]["VendorName"] == "Acme Supplies"


# --- tenant safety --------------------------------------------------------------------------------


def test_a_ticket_of_business_a_never_hands_out_business_b_work(connector, soap, qbd_a, qbd_b, work):
    (connection_a, password_a), (connection_b, _) = qbd_a, qbd_b
    work.add(connection_a, "a-1", bill("A-1"))
    work.add(connection_b, "b-1", bill("B-1"))
    work.add(connection_b, "b-2", bill("B-2"))
    qb_a = FakeQuickBooks(vendors=["Acme Supplies"])

    run = connector(connection_a, password_a, quickbooks=qb_a).run()

    assert [b.ref_number for b in qb_a.bills] == ["A-1"], "business B's bill leaked into A's QuickBooks"
    assert {conn for _, conn, _ in work.calls} == {connection_a.id}
    assert work.remaining(connection_b) == 2
    # A's (now closed) ticket, and a fresh one, still only ever reach A's queue.
    assert soap("sendRequestXML", ticket=run.ticket) == ""
    work.add(connection_a, "a-2", bill("A-2"))
    ticket_a, _ = soap("authenticate", strUserName=connection_a.credentials["username"], strPassword=password_a)
    assert "B-1" not in soap("sendRequestXML", ticket=ticket_a)
    assert {conn for _, conn, _ in work.calls} == {connection_a.id}


def test_business_b_is_served_its_own_work_with_its_own_ticket(connector, qbd_a, qbd_b, work):
    (connection_a, _), (connection_b, password_b) = qbd_a, qbd_b
    work.add(connection_a, "a-1", bill("A-1"))
    work.add(connection_b, "b-1", bill("B-1"))
    qb_b = FakeQuickBooks(vendors=["Acme Supplies"])
    run = connector(connection_b, password_b, quickbooks=qb_b).run()
    assert run.percents == [100]
    assert [b.ref_number for b in qb_b.bills] == ["B-1"]
    assert work.remaining(connection_a) == 1


# --- over real HTTP -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_session_over_http_against_a_live_server(live_server, business_a):
    connection, password = create_web_connector_connection(business=business_a)
    with use_work_source(ListWork()) as work:
        work.add(connection, "job-1", bill("INV-1"))
        qb = FakeQuickBooks(vendors=["Acme Supplies"])
        with httpx.Client(timeout=10) as client:
            run = FakeWebConnector(
                client, f"{live_server.url}/qbwc/", connection.credentials["username"], password, quickbooks=qb
            ).run()
            wsdl = client.get(f"{live_server.url}/qbwc/?wsdl")
    assert run.percents == [100]
    assert work.txn_ids == {"job-1": qb.bills[0].txn_id}
    assert wsdl.status_code == 200
