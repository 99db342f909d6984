"""QuickBooks Desktop's lists, synced through the Web Connector's queries: the run waits for the Web Connector to
poll, hands out one query a page (before any publishing work), and stores QuickBooks' answers as the lists."""

from decimal import Decimal

import pytest
from lxml import etree

from integrations.lists.models import ConnectionLists, ListKind, ListSyncStatus
from integrations.lists.services import lists_sync_continue
from integrations.providers import registry
from integrations.providers.quickbooks_desktop.lists import PAGE_SIZE
from integrations.qbwc.xmlsafe import parse_xml
from tests.integrations.qbwc import fake_qb_company as company
from tests.integrations.qbwc.fake_web_connector import FakeQuickBooks, FakeWebConnector, QuickBooksError
from tests.integrations.qbwc.lists_sync import entries, sync_lists

A, P, T, C, PR, TR = (
    ListKind.ACCOUNTS,
    ListKind.PAYMENT_ACCOUNTS,
    ListKind.TAX_RATES,
    ListKind.CONTACTS,
    ListKind.PRODUCTS,
    ListKind.TRACKING,
)
ALL_QUERIES = [
    "AccountQueryRq",
    "SalesTaxCodeQueryRq",
    "ItemSalesTaxQueryRq",
    "VendorQueryRq",
    "CustomerQueryRq",
    "ItemServiceQueryRq",
    "ItemNonInventoryQueryRq",
    "ItemOtherChargeQueryRq",
    "ClassQueryRq",
]


def sample(**kwargs):
    return FakeQuickBooks(vendors=company.VENDORS, customers=company.CUSTOMERS, **kwargs)


def state_of(connection):
    return ConnectionLists.objects.for_business(connection.business_id).get(connection=connection)


def requests_of(run):
    return [parse_xml(e.request_xml)[0][0] for e in run.exchanges]


@pytest.fixture
def qbd(qbd_a):
    return qbd_a


def test_the_provider_declares_its_lists_and_has_nothing_to_call(qbd):
    connection, _ = qbd
    provider = registry.get(connection.provider)
    assert provider.list_kinds == (A, P, T, C, PR, TR)
    assert provider.list_source(connection) is None
    assert lists_sync_continue(connection_id=connection.pk) is None, "the task cannot call QuickBooks"


def test_a_sync_reads_every_list_through_the_web_connector(client, qbd):
    connection, password = qbd
    run = sync_lists(client, connection, password, sample())

    assert run.request_types == ALL_QUERIES
    assert run.errors == [] and run.percents[-1] == 100
    for rq in requests_of(run):
        assert rq.findtext("ActiveStatus") == "All", "inactive entries must come too"
        if rq.tag in ("AccountQueryRq", "ClassQueryRq", "SalesTaxCodeQueryRq"):
            assert "iterator" not in rq.attrib and rq.find("MaxReturned") is None
        else:
            assert (rq.get("iterator"), rq.findtext("MaxReturned")) == ("Start", str(PAGE_SIZE))
    state = state_of(connection)
    assert state.status == ListSyncStatus.READY and state.error == ""
    assert state.counts == {
        "accounts": 29,  # the chart less A/P, A/R and the non-posting account, less one inactive
        "payment_accounts": 4,
        "tax_rates": 5,
        "contacts": len(company.VENDORS) + len(company.CUSTOMERS),
        "products": len(company.ITEMS),
        "tracking": 3,
    }

    electricity = entries(connection, A).get(code="Utilities:Electricity")
    assert (electricity.name, electricity.kind_detail, electricity.usage) == (
        "Utilities:Electricity",
        "Expense",
        "purchases",
    )
    assert electricity.external_id.endswith(f"-{company.EPOCH}")
    assert electricity.extra == {"type": "Expense", "number": "7110"}
    assert not entries(connection, A).get(code="Equipment Rental").active
    assert not entries(connection, A).filter(code__in=["Accounts Payable", "Accounts Receivable", "Estimates"]).exists()
    assert entries(connection, A).get(code="Consulting Income").usage == "sales"
    payment = dict(entries(connection, P).values_list("code", "kind_detail"))
    assert payment == {"Checking": "Bank", "Savings": "Bank", "Visa": "CreditCard", "American Express": "CreditCard"}
    assert entries(connection, P).get(code="Visa").external_id == entries(connection, A).get(code="Visa").external_id

    tax = {e.code: e for e in entries(connection, T)}
    assert (tax["Tax"].kind_detail, tax["Tax"].usage, tax["Tax"].name) == ("SalesTaxCode", "sales", "Taxable Sales")
    assert tax["Tax"].extra == {"type": "SalesTaxCode", "taxable": True}
    assert (tax["State Sales Tax"].kind_detail, tax["State Sales Tax"].rate) == ("ItemSalesTax", Decimal("6.25"))

    contacts = dict(entries(connection, C).values_list("name", "kind_detail"))
    assert contacts["Paper Co"] == "supplier"
    assert contacts["Abercrombie, Kristy:Family Room"] == "customer"
    products = {e.code: e for e in entries(connection, PR)}
    assert products["Consulting:Hourly"].kind_detail == "Service"
    assert products["Consulting:Hourly"].extra["account"] == "Consulting Income"
    assert products["Software License"].kind_detail == "NonInventory"
    assert products["Travel Reimbursement"].kind_detail == "OtherCharge"
    classes = dict(entries(connection, TR).values_list("code", "active"))
    assert classes == {"Consulting": True, "Retail": True, "Retail:Online": True, "Admin": False}


def test_ids_are_stable_from_one_company_file_to_the_same_one(client, qbd):
    connection, password = qbd
    sync_lists(client, connection, password, sample())
    first = dict(entries(connection, A).values_list("code", "external_id"))
    sync_lists(client, connection, password, sample())
    assert dict(entries(connection, A).values_list("code", "external_id")) == first
    assert entries(connection, A).filter(active=True).count() == 29


def test_long_lists_are_read_a_page_at_a_time_with_the_iterator(client, qbd):
    connection, password = qbd
    customers = [f"Customer {n:03}" for n in range(250)]
    run = sync_lists(client, connection, password, FakeQuickBooks(customers=customers))

    pages = [rq for rq in requests_of(run) if rq.tag == "CustomerQueryRq"]
    assert [rq.get("iterator") for rq in pages] == ["Start", "Continue", "Continue"]
    iterator_id = parse_xml(run.exchanges[run.request_types.index("CustomerQueryRq")].response_xml)[0][0].get(
        "iteratorID"
    )
    assert all(rq.get("iteratorID") == iterator_id for rq in pages[1:])
    assert all(rq.findtext("MaxReturned") == str(PAGE_SIZE) for rq in pages), "a Continue repeats the criteria"
    assert entries(connection, C).filter(kind_detail="customer").count() == 250
    assert state_of(connection).status == ListSyncStatus.READY


def test_an_iterator_quickbooks_forgot_starts_the_pass_again(client, qbd):
    """The PC went off in the middle of the customers: the next session's Continue is refused (3391), and the pass
    starts again from the first page instead of failing."""
    connection, password = qbd
    qb = FakeQuickBooks(customers=[f"Customer {n:03}" for n in range(150)])
    first = sync_lists(client, connection, password, qb, power_off_after=6)
    assert first.request_types[-2:] == ["CustomerQueryRq", "CustomerQueryRq"]
    assert state_of(connection).status == ListSyncStatus.SYNCING

    second = FakeWebConnector(client, "/qbwc/", connection.external_tenant_id, password, quickbooks=qb).run()
    customers = [rq for rq in requests_of(second) if rq.tag == "CustomerQueryRq"]
    assert [rq.get("iterator") for rq in customers] == ["Continue", "Start", "Continue"]
    assert 'statusCode="3391"' in second.exchanges[0].response_xml
    assert second.errors == []
    assert state_of(connection).status == ListSyncStatus.READY
    assert entries(connection, C).count() == 150


def test_a_later_sync_asks_only_for_what_changed_where_quickbooks_can_say(client, qbd):
    connection, password = qbd
    qb = sample()
    sync_lists(client, connection, password, qb)
    qb.touch(next(r for r in qb.entities.values() if r.name == "Office Depot"), active=False)

    run = sync_lists(client, connection, password, qb, full=False)

    since = {rq.tag: rq.findtext("FromModifiedDate") for rq in requests_of(run)}
    assert since["AccountQueryRq"] is None and since["ClassQueryRq"] is None and since["SalesTaxCodeQueryRq"] is None
    assert since["VendorQueryRq"] and since["VendorQueryRq"] == since["CustomerQueryRq"]
    assert since["VendorQueryRq"].endswith("+00:00")
    vendors = parse_xml(run.exchanges[run.request_types.index("VendorQueryRq")].response_xml)[0][0]
    assert [ret.findtext("Name") for ret in vendors] == ["Office Depot"]
    assert not entries(connection, C).get(name="Office Depot").active
    assert entries(connection, C).get(name="Paper Co").active, "what did not change stays as it was"


def test_the_lists_are_the_first_work_source_publishing_the_next(db):
    from integrations.qbwc.queue import get_work_source

    assert list(get_work_source().sources) == ["lists", "publishing"]


def test_a_refused_list_query_fails_the_sync_and_the_session_goes_on(client, qbd):
    connection, password = qbd
    qb = sample()
    qb.refuse("AccountQueryRq", 3250, "This feature is not enabled or not available in this version of QuickBooks.")
    run = sync_lists(client, connection, password, qb)
    assert run.request_types == ["AccountQueryRq"] and run.percents == [100] and run.errors == []
    state = state_of(connection)
    assert state.status == ListSyncStatus.FAILED
    assert "not enabled" in state.error and "(3250)" in state.error


def test_a_list_query_quickbooks_cannot_parse_fails_the_sync_not_the_session(client, qbd):
    connection, password = qbd
    qb = sample()
    qb.fail_next()
    run = sync_lists(client, connection, password, qb)
    assert run.percents == [100] and run.errors == []
    assert state_of(connection).status == ListSyncStatus.FAILED
    assert "0x80040400" in state_of(connection).error


@pytest.mark.parametrize("request_tag", ["AccountQueryRq", "ClassQueryRq", "SalesTaxCodeQueryRq"])
def test_quickbooks_refuses_an_iterator_where_the_query_takes_none(request_tag):
    qb = sample()
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>\n<QBXML><QBXMLMsgsRq onError="stopOnError">'
        f'<{request_tag} requestID="1" iterator="Start"><MaxReturned>100</MaxReturned></{request_tag}>'
        "</QBXMLMsgsRq></QBXML>"
    )
    with pytest.raises(QuickBooksError) as refused:
        qb.process(xml)
    assert refused.value.hresult == "0x80040400"
    assert etree.fromstring(qb.process(xml.replace(' iterator="Start"', "")).split("\n", 1)[1].encode()) is not None


def test_a_new_connection_reads_its_lists_at_its_first_web_connector_run(
    client, business_a, django_capture_on_commit_callbacks
):
    from integrations import services

    provider = registry.get("quickbooks_desktop")
    result = provider.connect_web_connector(business_name=business_a.name)
    with django_capture_on_commit_callbacks(execute=True):
        connection = services.connection_create(business=business_a, provider=provider, result=result, actor=None)
    assert state_of(connection).status == ListSyncStatus.SYNCING, "waiting for the Web Connector"

    run = FakeWebConnector(
        client, "/qbwc/", result.extra["username"], result.extra["password"], quickbooks=sample()
    ).run()
    assert run.auth_status == "" and run.request_types == ALL_QUERIES
    assert state_of(connection).status == ListSyncStatus.READY
    assert state_of(connection).counts["payment_accounts"] == 4
