"""QuickBooks Desktop: jobs wait for the Web Connector, which a fake one drives over real SOAP."""

import pytest

from integrations.services import publishing_defaults_get
from publishing.models import Item, ItemState, PublishJob, PublishJobStatus
from publishing.pipeline import items_publish
from publishing.services import item_create
from tests.integrations.qbwc.fake_web_connector import FakeQuickBooks, FakeWebConnector, create_web_connector_connection


@pytest.fixture
def qbd(world):
    connection, password = create_web_connector_connection(business=world.a)
    defaults = publishing_defaults_get(business=world.a)
    defaults.default_publishing_connection = connection
    defaults.save()
    return connection, password


def _cost(world, n, **extra):
    fields = {"date": "2026-11-02", "total": "120.00", "category": "Office Supplies", "invoice_number": f"INV-{n}"}
    return item_create(
        business=world.a, actor=world.users["business_admin"], kind="cost", contact_name="Paper Co", **(fields | extra)
    )


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
    connection, password = qbd
    item = _cost(world, 9, category="No Such Account")
    items_publish(business=world.a, item_ids=[item.id], actor=None)
    run = _connector(client, connection, password, FakeQuickBooks()).run()
    item.refresh_from_db()
    assert item.state == ItemState.READY
    assert item.last_publish_error and "No Such Account" in item.last_publish_error
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
