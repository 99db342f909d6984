"""QuickBooks Online's lists through the list sync: pages of queries, change data capture for what changed, tax
codes with their rates, and the sandbox's US and UK companies."""

from datetime import timedelta
from decimal import Decimal
from urllib.parse import unquote_plus

import pytest
from django.utils import timezone

from integrations.lists.models import ConnectionLists, ListKind
from integrations.providers.quickbooks_online import endpoints
from integrations.sandbox.models import Contact
from integrations.sandbox.quickbooks_online import constants as sandbox_qbo
from tests.integrations.quickbooks_online.conftest import client_of, entries, sync

A, P, T, C, G, K = (
    ListKind.ACCOUNTS,
    ListKind.PAYMENT_ACCOUNTS,
    ListKind.TAX_RATES,
    ListKind.CONTACTS,
    ListKind.PRODUCTS,
    ListKind.TRACKING,
)


class Calls:
    """Provider requests, as the sandbox saw them."""

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


def counts(connection) -> dict:
    return ConnectionLists.objects.for_business(connection.business_id).get(connection=connection).counts


def test_the_us_company_lists_are_synced_with_their_ids_codes_and_kinds(us):
    state = ConnectionLists.objects.for_business(us.business_id).get(connection=us)
    assert state.status == "ready", state.error
    assert counts(us) == {
        "accounts": 30,
        "payment_accounts": 5,
        "tax_rates": 4,
        "contacts": 38,
        "products": 7,
        "tracking": 5,
    }
    office = entries(us, A).get(name="Office Expenses")
    assert (office.external_id, office.kind_detail, office.usage) == ("20", "Expense", "purchases")
    assert entries(us, A).get(name="Services").usage == "sales"
    assert not entries(us, A).filter(kind_detail__in=["Accounts Payable", "Accounts Receivable"]).exists()
    assert not entries(us, A).get(name="Old Office Supplies").active, "Active false → inactive"
    cards = dict(entries(us, P).values_list("name", "kind_detail"))
    assert cards == {
        "Checking": "Bank",
        "Savings": "Bank",
        "Euro Account": "Bank",
        "Mastercard": "Credit Card",
        "Visa": "Credit Card",
    }
    assert entries(us, A).filter(name="Checking").exists(), "bank accounts are accounts too"
    assert entries(us, P).get(name="Euro Account").extra["currency"] == "EUR"
    taxes = {e.code: (e.external_id, e.usage, e.rate) for e in entries(us, T)}
    assert taxes["TAX"] == ("TAX", "sales", None) and taxes["NON"] == ("NON", "sales", None)
    assert taxes["New York City"] == ("3", "sales", Decimal("8.5")), "a code's rate is the sum of its rates"
    munich = entries(us, C).get(name="Munich Parts GmbH")
    assert (munich.kind_detail, munich.extra["currency"]) == ("supplier", "EUR")
    assert entries(us, C).get(name="Alder Creek Dental").kind_detail == "customer"
    assert not entries(us, C).get(name="Old Print Shop").active
    design = entries(us, G).get(name="Design")
    assert (design.code, design.kind_detail, design.extra["income_account"], design.usage) == (
        "DES-01",
        "Service",
        "82",
        "sales",
    )
    assert entries(us, G).get(name="Shop Supplies").usage == "purchases"
    assert not entries(us, G).filter(name="Landscaping").exists(), "a category is no product"
    tracking = {e.external_id: (e.name, e.kind_detail) for e in entries(us, K)}
    assert tracking["Class:5000000000000012001"] == ("Retail", "Class")
    assert tracking["Department:1"] == ("Head Office", "Department")
    assert not entries(us, K).get(name="Old Depot").active


def test_the_uk_company_has_vat_codes_with_rates_and_account_numbers(uk):
    taxes = {e.code: (e.usage, e.rate, e.active) for e in entries(uk, T)}
    assert taxes["20.0% S"] == ("", Decimal("20"), True)
    assert taxes["5.0% R"] == ("", Decimal("5"), True)
    assert taxes["0.0% Z"][1] == Decimal("0") and taxes["Exempt"][0] == "" and taxes["No VAT"][1] == Decimal("0")
    assert taxes["20.0% ECG"][0] == "purchases" and taxes["0.0% EC Services"][0] == "sales"
    assert taxes["17.5% S"][2] is False, "an inactive code is kept inactive"
    assert entries(uk, T).get(code="20.0% S").name == "20.0% S (Standard rate)"
    general = entries(uk, A).get(name="General Expenses")
    assert (general.code, general.label) == ("8200", "8200 General Expenses")


def test_lists_are_read_in_pages_of_the_query_size(us, calls, monkeypatch):
    monkeypatch.setattr(endpoints, "QUERY_PAGE_SIZE", 10)
    sync(us, full=True)
    vendor_pages = [q for m, p, q in calls.paths("/query") if "Vendor" in q]
    assert len(vendor_pages) == 3, "26 vendors in pages of 10"
    assert "STARTPOSITION 21 MAXRESULTS 10" in vendor_pages[-1]
    assert all("where Active in (true, false)" in q for q in vendor_pages), "inactive vendors too"
    assert counts(us)["contacts"] == 38


def test_an_incremental_sync_asks_change_data_capture_for_what_changed(us, calls):
    client = client_of(us)
    made = client.contact("Vendor", "Fresh Fruit Co", "USD")
    old = Contact.objects.get(
        provider="quickbooks_online", organisation__external_id=us.external_tenant_id, name="Northgate Hardware"
    )
    old.body = {**old.body, "Active": False}
    old.updated_at = timezone.now()
    old.save()
    calls.seen.clear()
    sync(us, full=False)
    cdc = calls.paths("/cdc")
    assert cdc and any("entities=Vendor,Customer" in q for m, p, q in cdc)
    assert not [q for m, p, q in calls.paths("/query") if "Vendor" in q], "no full walk of the names"
    assert not any("TaxCode" in q for m, p, q in cdc), "tax codes are not in change data capture"
    queried = [q for m, p, q in calls.paths("/query")]
    assert any("from TaxRate" in q for q in queried) and any("from TaxCode" in q for q in queried), "read in full"
    assert entries(us, C).get(external_id=made.id).active
    assert not entries(us, C).get(name="Northgate Hardware").active, "made inactive: seen by change data capture"


def test_a_change_data_capture_answer_that_is_full_is_followed_by_a_full_walk(us, calls, monkeypatch):
    monkeypatch.setattr(endpoints, "CDC_MAX_OBJECTS", 2)
    monkeypatch.setattr(sandbox_qbo, "CDC_MAX", 2)
    client = client_of(us)
    for name in ("One Co", "Two Co", "Three Co"):
        client.contact("Vendor", name, "USD")
    calls.seen.clear()
    sync(us, full=False)
    assert [q for m, p, q in calls.paths("/query") if "Vendor" in q], "the pass walked the vendors"
    assert entries(us, C).filter(name__in=["One Co", "Two Co", "Three Co"]).count() == 3


def test_the_sandbox_refuses_change_data_capture_beyond_thirty_days_and_for_tax_codes(us):
    client = client_of(us)
    from integrations.providers.base import ValidationError

    with pytest.raises(ValidationError, match="30 days"):
        client.call(
            "GET",
            client.company_url("/cdc"),
            params={"entities": "Vendor", "changedSince": (timezone.now() - timedelta(days=31)).isoformat()},
        )
    with pytest.raises(ValidationError, match="TaxCode"):
        client.call(
            "GET",
            client.company_url("/cdc"),
            params={"entities": "TaxCode", "changedSince": timezone.now().isoformat()},
        )


def test_a_pass_asked_further_back_than_change_data_capture_walks_the_queries(us, calls):
    client = client_of(us)
    page = client.fetch(ListKind.CONTACTS, page=None, since=timezone.now() - timedelta(days=45))
    assert not calls.paths("/cdc"), "change data capture looks back 30 days at most"
    assert page.next == "Customer:1" and len(page.entries) == 26, "the vendors, then the customers"


def test_a_throttled_page_waits_for_the_next_minute(us, monkeypatch):
    from integrations.providers.base import ProviderRateLimited

    monkeypatch.setattr(sandbox_qbo, "MINUTE_LIMIT", 0)
    with pytest.raises(ProviderRateLimited) as limited:
        client_of(us).fetch(ListKind.ACCOUNTS, page=None, since=None)
    assert 1 <= limited.value.retry_after <= 61


def test_the_sandbox_generates_a_large_company_when_asked(client, world, sandbox_http, settings, monkeypatch):
    """bench/lists.py's knob: SANDBOX_GENERATED_LISTS adds accounts, tax codes and names to one company, and a
    walk of its stored names is paged by the database with the same rows, in the same order, as the full query."""
    from integrations.sandbox.organisations import organisations_for
    from tests.integrations.quickbooks_online.conftest import US, connect_company

    realm = organisations_for("quickbooks_online")[US].external_id
    settings.SANDBOX_GENERATED_LISTS = {realm: {"accounts": 60, "tax_codes": 7, "vendors": 45, "customers": 5}}
    monkeypatch.setattr(endpoints, "QUERY_PAGE_SIZE", 20)
    connection = connect_company(client, world.a, world.users["business_admin"], US)
    sync(connection, full=True)
    generated = entries(connection, A).filter(code__startswith="600")
    assert generated.count() == 60 and generated.filter(active=False).count() == 1, "every 50th is archived"
    assert entries(connection, A).get(code="60005").name == "Fuel North 00005"
    assert entries(connection, T).filter(code__startswith="TC").count() == 7
    assert entries(connection, T).get(code="TC003").rate == Decimal("3.75")
    assert entries(connection, C).filter(name__startswith="Supplier ").count() == 45
    assert entries(connection, C).filter(name__startswith="Customer ").count() == 5
    paged = client_of(connection).query(
        "select * from Vendor where Active in (true, false) STARTPOSITION 21 MAXRESULTS 20"
    )
    walked = client_of(connection).query("select * from Vendor where DisplayName like '%' and Active in (true, false)")
    assert [v["Id"] for v in paged["Vendor"]] == [v["Id"] for v in walked["Vendor"][20:40]]
