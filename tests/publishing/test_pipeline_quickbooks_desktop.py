"""QuickBooks Desktop: jobs wait for the Web Connector, which a fake one drives over real SOAP. The connection's
lists come from the same (fake) company file through the Web Connector first, and items are coded against them."""

import pytest

from integrations.lists.models import ConnectionLists, ListSyncStatus
from integrations.lists.sync import lists_sync_begin
from integrations.services import publishing_defaults_get
from publishing.models import Item, ItemState, PublishJob, PublishJobStatus
from publishing.pipeline import items_publish
from publishing.services import item_create
from tests.integrations.qbwc.fake_web_connector import FakeQuickBooks, FakeWebConnector, create_web_connector_connection
from tests.integrations.qbwc.lists_sync import sync_lists


@pytest.fixture
def qbd(world, client):
    connection, password = create_web_connector_connection(business=world.a)
    defaults = publishing_defaults_get(business=world.a)
    defaults.default_publishing_connection = connection
    defaults.save()
    sync_lists(client, connection, password, FakeQuickBooks())
    return connection, password


def _cost(world, n, **extra):
    fields = {
        "date": "2026-11-02",
        "total": "120.00",
        "category": "Office Supplies",
        "invoice_number": f"INV-{n}",
        "contact_name": "Paper Co",
    }
    return item_create(business=world.a, actor=world.users["business_admin"], kind="cost", **(fields | extra))


def _connector(client, connection, password, qb):
    return FakeWebConnector(client, "/qbwc/", connection.external_tenant_id, password, quickbooks=qb)


def test_jobs_wait_for_the_web_connector_then_publish_once(client, world, qbd):
    connection, password = qbd
    items = [_cost(world, n) for n in range(3)]
    result = items_publish(business=world.a, item_ids=[i.id for i in items], actor=world.users["business_admin"])
    assert result.updated == 3 and not result.errors
    jobs = PublishJob.objects.for_business(world.a)
    assert {j.status for j in jobs} == {PublishJobStatus.WAITING_WEB_CONNECTOR}
    assert {i.state for i in Item.objects.for_business(world.a)} == {ItemState.QUEUED}

    qb = FakeQuickBooks()
    run = _connector(client, connection, password, qb).run()
    assert run.last_error == ""
    assert sorted(b.ref_number for b in qb.bills) == ["INV-0", "INV-1", "INV-2"]
    for item in Item.objects.for_business(world.a):
        assert item.state == ItemState.PUBLISHED and item.external_id, item
    # A second poll finds nothing to do and adds nothing.
    _connector(client, connection, password, qb).run()
    assert len(qb.bills) == 3


def test_a_repeated_publish_finds_the_first_bill_instead_of_adding_another(client, world, qbd):
    """The answer to BillAdd was lost (PC went off): the next session queries first and finds the bill."""
    connection, password = qbd
    item = _cost(world, 7)
    qb = FakeQuickBooks(vendors=["Paper Co"])
    items_publish(business=world.a, item_ids=[item.id], actor=None)
    # QuickBooks already has the bill (added by the lost exchange).
    from integrations.providers.quickbooks_desktop.qbxml import bill_add_rq

    qb.process(
        bill_add_rq(
            vendor_name="Paper Co", txn_date="2026-11-02", ref_number="INV-7", lines=[("Office Supplies", "120.00", "")]
        )
    )
    assert len(qb.bills) == 1
    _connector(client, connection, password, qb).run()
    item.refresh_from_db()
    assert len(qb.bills) == 1, "a second bill was added"
    assert item.state == ItemState.PUBLISHED and item.external_id == qb.bills[0].txn_id


def test_an_add_whose_answer_was_lost_is_looked_up_first_at_the_next_run(client, world, qbd):
    """The PC went off after QuickBooks added the bill and before its answer reached us: the next run does not hand
    the add out again, it starts the document over with the look-up, which finds the bill."""
    connection, password = qbd
    item = _cost(world, 8)
    items_publish(business=world.a, item_ids=[item.id], actor=None)
    qb = FakeQuickBooks(vendors=["Paper Co"])
    lost = _connector(client, connection, password, qb).run(power_off_after=3)
    assert lost.request_types == ["BillQueryRq", "VendorQueryRq", "BillAddRq"]
    assert len(qb.bills) == 1
    _connector(client, connection, password, qb).run()
    item.refresh_from_db()
    assert len(qb.bills) == 1, "the add was handed out again"
    assert item.state == ItemState.PUBLISHED and item.external_id == qb.bills[0].txn_id


def test_quickbooks_refusal_is_shown_on_the_item(client, world, qbd):
    """Coded to an account that has gone from the company file since the lists were read: QuickBooks' own words."""
    connection, password = qbd
    item = _cost(world, 9, category="Office Supplies")
    items_publish(business=world.a, item_ids=[item.id], actor=None)
    run = _connector(client, connection, password, FakeQuickBooks(accounts=["Travel Expense"])).run()
    item.refresh_from_db()
    assert item.state == ItemState.READY
    assert item.last_publish_error and 'invalid reference to QuickBooks Account "Office Supplies"' in (
        item.last_publish_error
    )
    assert run.last_error == "" and min(run.percents) >= 0, "a document's refusal does not end the session"
    assert PublishJob.objects.for_business(world.a).get().status == PublishJobStatus.FAILED


def test_quickbooks_desktop_is_never_auto_published(world, qbd):
    item = _cost(world, 11)
    result = items_publish(business=world.a, item_ids=[item.id], actor=None, queue="publish_bulk", automatic=True)
    assert result.updated == 0
    item.refresh_from_db()
    assert item.state == ItemState.READY


def test_another_business_web_connector_gets_none_of_our_work(client, world, qbd):
    _, _ = qbd
    theirs, their_password = create_web_connector_connection(business=world.b)
    items_publish(business=world.a, item_ids=[_cost(world, 12).id], actor=None)
    qb = FakeQuickBooks()
    run = _connector(client, theirs, their_password, qb).run()
    assert qb.bills == [] and run.auth_status == "none"


def test_the_lists_go_before_publishing_in_the_same_session(client, world, qbd):
    connection, password = qbd
    items_publish(business=world.a, item_ids=[_cost(world, 21).id], actor=None)
    lists_sync_begin(connection=connection)
    qb = FakeQuickBooks()
    run = _connector(client, connection, password, qb).run()
    assert run.request_types[0] == "AccountQueryRq"
    first_publishing = run.request_types.index("BillQueryRq")
    assert set(run.request_types[:first_publishing]) >= {"AccountQueryRq", "ClassQueryRq"}
    assert run.request_types[first_publishing:] == ["BillQueryRq", "VendorQueryRq", "VendorAddRq", "BillAddRq"]
    assert ConnectionLists.objects.for_business(world.a).get(connection=connection).status == ListSyncStatus.READY
    assert [b.ref_number for b in qb.bills] == ["INV-21"]


def test_a_refused_document_does_not_stop_the_next_one(client, world, qbd):
    connection, password = qbd
    refused, fine = _cost(world, 31, contact_name="Nobody Ltd"), _cost(world, 32)
    items_publish(business=world.a, item_ids=[refused.id, fine.id], actor=None)
    qb = FakeQuickBooks(vendors=["Paper Co"])
    qb.refuse("VendorAddRq", 3100, 'The name "Nobody Ltd" of the list element is already in use.')
    qb.refuse("BillAddRq", 3170, "There was an error when saving a Bill. QuickBooks error message: record in use.")
    run = _connector(client, connection, password, qb).run()
    assert run.errors == [] and min(run.percents) >= 0 and run.percents[-1] == 100
    refused.refresh_from_db()
    fine.refresh_from_db()
    assert refused.state == ItemState.READY and "record in use" in refused.last_publish_error
    assert fine.state == ItemState.PUBLISHED and [b.ref_number for b in qb.bills] == ["INV-32"]


def test_costs_published_as_cheque_and_card_charge_send_their_own_requests(client, world, qbd):
    connection, password = qbd
    cheque = _cost(world, 41, publish_as="check", payment_method="Checking", paid=True)
    card = _cost(world, 42, publish_as="credit_card_charge", payment_method="Visa", paid=True)
    assert {cheque.state, card.state} == {ItemState.READY}
    items_publish(business=world.a, item_ids=[cheque.id, card.id], actor=None)
    qb = FakeQuickBooks(vendors=["Paper Co"])
    run = _connector(client, connection, password, qb).run()
    assert "CheckAddRq" in run.request_types and "CreditCardChargeAddRq" in run.request_types
    assert [(c.account, c.ref_number) for c in qb.checks] == [("Checking", "INV-41")]
    assert [(c.account, c.ref_number) for c in qb.card_charges] == [("Visa", "INV-42")]
    assert qb.bills == []
    for item in (cheque, card):
        item.refresh_from_db()
        assert item.state == ItemState.PUBLISHED


def test_an_item_coded_to_a_sub_account_sends_its_full_name(client, world, qbd):
    connection, password = qbd
    item = _cost(world, 51, category="Utilities:Electricity")
    assert item.category_entry is not None and item.state == ItemState.READY
    items_publish(business=world.a, item_ids=[item.id], actor=None)
    qb = FakeQuickBooks(vendors=["Paper Co"])
    _connector(client, connection, password, qb).run()
    assert qb.bills[0].lines[0][0] == "Utilities:Electricity"
