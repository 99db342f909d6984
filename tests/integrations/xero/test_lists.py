"""Xero's lists through the list sync: the UK organisation's chart, VAT rates, contacts and tracking; what changed
asked with If-Modified-Since where Xero honours it; contacts in pages; what vanished from the ledger made inactive."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from integrations import ratelimit
from integrations.lists.models import ConnectionLists, ListKind
from integrations.providers.xero import lists as xero_lists
from integrations.sandbox.models import Contact, Organisation
from integrations.sandbox.xero import constants as sandbox_xero
from integrations.sandbox.xero import where as sandbox_where
from tests import lists
from tests.integrations.xero.conftest import client_of, entries, sync

A, P, T, C, K = (
    ListKind.ACCOUNTS,
    ListKind.PAYMENT_ACCOUNTS,
    ListKind.TAX_RATES,
    ListKind.CONTACTS,
    ListKind.TRACKING,
)


def counts(connection) -> dict:
    return ConnectionLists.objects.for_business(connection.business_id).get(connection=connection).counts


def test_the_uk_organisation_lists_are_synced_with_their_ids_codes_and_kinds(xero):
    state = ConnectionLists.objects.for_business(xero.business_id).get(connection=xero)
    assert state.status == "ready", state.error
    assert counts(xero) == {"accounts": 51, "payment_accounts": 3, "tax_rates": 12, "contacts": 5, "tracking": 6}
    general = entries(xero, A).get(code="429")
    assert (general.name, general.kind_detail, general.usage, general.label) == (
        "General Expenses",
        "OVERHEADS",
        "purchases",
        "429 General Expenses",
    )
    assert len(general.external_id) == 36, "the AccountID"
    assert entries(xero, A).get(code="200").usage == "sales" and entries(xero, A).get(code="720").usage == ""
    assert not entries(xero, A).get(code="495").active, "ARCHIVED → inactive"
    assert not entries(xero, A).filter(code__in=["610", "800", "820", "960"]).exists(), "system accounts: no category"
    assert not entries(xero, A).filter(kind_detail="BANK").exists(), "a line may not use a bank account"
    payment = {e.name: (e.code, e.kind_detail, e.active) for e in entries(xero, P)}
    assert payment == {
        "Business Bank Account": ("090", "BANK", True),
        "Business Savings Account": ("091", "BANK", True),
        "Company Credit Card": ("", "CREDITCARD", True),
        "Old Current Account": ("092", "BANK", False),
    }
    taxes = {e.code: (e.name, e.usage, e.rate, e.active) for e in entries(xero, T)}
    assert taxes["INPUT2"] == ("20% (VAT on Expenses)", "purchases", Decimal("20"), True)
    assert taxes["OUTPUT2"][1] == "sales" and taxes["RRINPUT"][2] == Decimal("5")
    assert taxes["NONE"][1] == "" and taxes["INPUT"][3] is False, "the archived 17.5% rate is inactive"
    contacts = {e.name: (e.kind_detail, e.usage, e.active) for e in entries(xero, C)}
    assert contacts["Thames Office Supplies"] == ("supplier", "purchases", True)
    assert contacts["Harbour Cafe Ltd"] == ("customer", "sales", True)
    assert contacts["Kingfisher Design"] == ("", "", True) and contacts["Old Print Shop"][2] is False
    tracking = {e.name: e.active for e in entries(xero, K)}
    assert tracking == {
        "Region: North": True,
        "Region: South": True,
        "Region: London": True,
        "Region: Wales": False,
        "Department: Sales": True,
        "Department: Operations": True,
        "Department: Admin": True,
        "Project: Launch 2024": False,
    }
    north = entries(xero, K).get(name="Region: North")
    assert north.extra["category"] == "Region" and north.extra["option"] == "North"


def test_a_full_sync_reads_each_list_once_without_if_modified_since(xero, calls):
    sync(xero)  # the first sync after a connect is full; so is this one (no cursor due yet is older than a pass)
    listed = [(m, p.rsplit("/", 1)[-1], q, s) for m, p, q, s in calls.api()]
    assert [p for _, p, _, _ in listed if p != "Contacts"] == ["Accounts", "TaxRates", "TrackingCategories"]
    contacts = [q for _, p, q, _ in listed if p == "Contacts"]
    assert contacts == ["page=1&includeArchived=true"], "archived contacts too, in pages"
    assert any("includeArchived=true" in q for _, p, q, _ in listed if p == "TrackingCategories")
    assert not [s for *_, s in listed if s], "a full pass asks for everything"


def _age_the_organisation(connection) -> None:
    """Make the sandbox organisation's lists a day old, so that only what a test changes is newer."""
    day_ago = timezone.now() - timedelta(days=1)
    Organisation.objects.filter(external_id=connection.external_tenant_id).update(created_at=day_ago)
    Contact.objects.filter(provider="xero", organisation__external_id=connection.external_tenant_id).update(
        updated_at=day_ago
    )


def test_an_incremental_sync_asks_what_changed_since_with_if_modified_since(xero, calls, monkeypatch):
    _age_the_organisation(xero)
    client = client_of(xero)
    brightside = entries(xero, C).get(name="Brightside Energy")
    client.call(
        "POST",
        client.api("/Contacts"),
        json={"Contacts": [{"ContactID": brightside.external_id, "ContactStatus": "ARCHIVED"}]},
    )
    chart = [*sandbox_xero.ACCOUNTS]
    chart[chart.index(next(r for r in chart if r.code == "412"))] = sandbox_xero.ChartRow(
        "412", "Consultancy", "OVERHEADS", "INPUT2", changed_at=timezone.now()
    )
    monkeypatch.setattr(sandbox_xero, "ACCOUNTS", chart)
    calls.seen.clear()
    lists.sync(xero, full=False, steps=50)
    by_path = {p.rsplit("/", 1)[-1]: s for _, p, _, s in calls.api()}
    assert by_path["Accounts"] and by_path["Contacts"], "If-Modified-Since where Xero honours it"
    assert not by_path["TaxRates"] and not by_path["TrackingCategories"], "read in full: Xero has no such header there"
    assert not entries(xero, C).get(name="Brightside Energy").active, "archived in Xero: seen by the changes"
    assert entries(xero, A).get(code="412").name == "Consultancy"
    assert entries(xero, A).get(code="429").active and entries(xero, C).get(name="Harbour Cafe Ltd").active, (
        "an incremental pass marks nothing it did not see as vanished"
    )
    answered = client.fetch(A, page=None, since=timezone.now() - timedelta(hours=1))
    assert [e.code for e in answered.entries] == ["412"], "only what changed since"


def test_what_vanished_from_the_ledger_becomes_inactive_on_a_full_sync(xero, monkeypatch):
    monkeypatch.setattr(sandbox_xero, "ACCOUNTS", [r for r in sandbox_xero.ACCOUNTS if r.code != "412"])
    monkeypatch.setattr(sandbox_xero, "TAX_RATES", [r for r in sandbox_xero.TAX_RATES if r.tax_type != "RRINPUT"])
    sync(xero)
    assert not entries(xero, A).get(code="412").active, "kept for the items coded with it, but inactive"
    assert not entries(xero, T).get(code="RRINPUT").active
    assert entries(xero, A).get(code="429").active
    assert counts(xero)["accounts"] == 50


def test_contacts_are_read_page_by_page(xero, calls, monkeypatch):
    monkeypatch.setattr(sandbox_where, "PAGE_SIZE", 2)
    monkeypatch.setattr(xero_lists, "CONTACTS_PAGE_SIZE", 2)
    sync(xero)
    pages = [q for _, p, q, _ in calls.paths("/Contacts")]
    assert pages == [f"page={n}&includeArchived=true" for n in (1, 2, 3, 4)], "six contacts, two a page"
    assert entries(xero, C).count() == 6 and counts(xero)["contacts"] == 5


def test_every_list_page_is_counted_against_the_connections_minute(xero, calls):
    before = ratelimit.calls_counted(connection_id=xero.pk)
    sync(xero)
    assert ratelimit.calls_counted(connection_id=xero.pk) - before == len(calls.api()) == 4


def test_the_sandbox_answers_only_contacts_changed_since_and_leaves_archived_ones_out_unless_asked(xero):
    _age_the_organisation(xero)
    client = client_of(xero)
    client.call("PUT", client.api("/Contacts"), json={"Contacts": [{"Name": "Fresh Fruit Co"}]})
    since = (timezone.now() - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%S")
    changed = client.call("GET", client.api("/Contacts"), headers={"If-Modified-Since": since}).json()["Contacts"]
    assert [c["Name"] for c in changed] == ["Fresh Fruit Co"]
    names = [c["Name"] for c in client.call("GET", client.api("/Contacts")).json()["Contacts"]]
    assert "Old Print Shop" not in names and "Thames Office Supplies" in names
    everyone = client.call("GET", client.api("/Contacts"), params={"includeArchived": "true"}).json()["Contacts"]
    assert "Old Print Shop" in [c["Name"] for c in everyone]
