"""Several work sources, asked in order (the lists before publishing), each getting back its own answers."""

from integrations.qbwc import queue
from integrations.qbwc.queue import LISTS, PUBLISHING, get_work_source, register_work_source, use_work_source
from tests.integrations.qbwc.conftest import ListWork
from tests.integrations.qbwc.fake_web_connector import FakeQuickBooks
from tests.integrations.qbwc.test_sessions import bill


def test_sources_are_asked_in_order_and_answers_go_back_to_their_own(connector, qbd_a):
    connection, password = qbd_a
    lists, publishing = ListWork(), ListWork()
    with use_work_source(None):
        register_work_source(PUBLISHING, publishing)  # registered first, asked second
        register_work_source(LISTS, lists)
        lists.add(connection, "accounts", bill("L-1"))
        publishing.add(connection, "job-1", bill("P-1"))
        publishing.add(connection, "job-2", bill("P-2"))
        assert get_work_source().remaining(connection) == 3
        qb = FakeQuickBooks(vendors=["Acme Supplies"])
        run = connector(connection, password, quickbooks=qb).run()
    assert [b.ref_number for b in qb.bills] == ["L-1", "P-1", "P-2"]
    assert [key for method, _, key in lists.calls if method == "apply_response"] == ["accounts"]
    assert [key for method, _, key in publishing.calls if method == "apply_response"] == ["job-1", "job-2"]
    assert run.percents == [33, 66, 100]


def test_an_answer_for_a_source_no_longer_registered_ends_the_session(soap, qbd_a):
    connection, password = qbd_a
    with use_work_source(None):
        register_work_source(LISTS, work := ListWork())
        work.add(connection, "accounts", bill("L-1"))
        ticket, _ = soap("authenticate", strUserName=connection.credentials["username"], strPassword=password)
        soap("sendRequestXML", ticket=ticket, qbXMLMajorVers=13)
        register_work_source(LISTS, None)
        assert soap("receiveResponseXML", ticket=ticket, response="<QBXML/>") == -1
        assert "No work source" in soap("getLastError", ticket=ticket)


def test_use_work_source_puts_every_registered_source_back(db):
    before = dict(queue._sources)
    with use_work_source(ListWork()):
        assert list(queue._sources) == ["work"]
    assert queue._sources == before
