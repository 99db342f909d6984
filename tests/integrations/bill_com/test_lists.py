"""Bill.com's lists through the list sync: the organisation's own chart of accounts, its vendors, its classes,
departments and locations; pages of 100 with ``nextPage``; archived and vanished entries inactive; an incremental
pass asking only for what changed (``updatedTime:gt``)."""

from datetime import UTC, datetime

from django.utils import timezone

from integrations.lists.models import ConnectionLists, ListKind
from integrations.providers import registry
from integrations.sandbox.bill_com import lists as sandbox_lists
from integrations.sandbox.models import Contact
from tests.integrations.bill_com.conftest import client_of, entries, sandbox_organisation, sync

A, C, K = ListKind.ACCOUNTS, ListKind.CONTACTS, ListKind.TRACKING
LONG_AGO = "2020-01-01T00:00:00.000+00:00"


def counts(connection) -> dict:
    return ConnectionLists.objects.for_business(connection.business_id).get(connection=connection).counts


def chart_rows():
    return Contact.objects.filter(provider="bill_com", organisation=sandbox_organisation(), kind=sandbox_lists.CHART)


def test_bill_com_keeps_a_chart_of_accounts_vendors_and_tracking_but_no_tax_rates():
    provider = registry.get("bill_com")
    assert provider.list_kinds == (A, C, K)
    assert ListKind.TAX_RATES not in provider.list_kinds, "Bill.com keeps no tax rates: a bill carries amounts"


def test_the_organisations_own_chart_vendors_and_tracking_are_synced_on_connect(bill):
    state = ConnectionLists.objects.for_business(bill.business_id).get(connection=bill)
    assert state.status == "ready", state.error
    assert counts(bill) == {"accounts": 42, "contacts": 4, "tracking": 7}
    general = entries(bill, A).get(code="429")
    assert general.name == "General Expenses" and general.kind_detail == "EXPENSE" and general.usage == "purchases"
    assert general.external_id.startswith("0ca") and general.label == "429 General Expenses"
    assert entries(bill, A).get(code="200").usage == "sales"
    assert not entries(bill, A).filter(kind_detail__in=["ACCOUNTS_PAYABLE", "ACCOUNTS_RECEIVABLE"]).exists()
    assert not entries(bill, A).get(code="426").active, "an archived account comes in inactive"
    supplies = entries(bill, A).get(code="4531")
    assert supplies.extra["parent_id"] == entries(bill, A).get(code="453").external_id
    assert entries(bill, C).get(name="FedEx").kind_detail == "supplier"
    assert not entries(bill, C).get(name="Old Courier Co").active
    assert set(entries(bill, K).values_list("kind_detail", flat=True)) == {"Accounting class", "Department", "Location"}
    assert entries(bill, K).get(name="Operations").external_id.startswith("departments:0dp")


def test_lists_are_read_in_pages_of_100_following_next_page(bill, calls):
    organisation = sandbox_organisation()
    now = timezone.now()
    Contact.objects.bulk_create(
        Contact(
            provider="bill_com",
            organisation=organisation,
            kind=sandbox_lists.CHART,
            external_id=f"0caextra{n:05d}",
            name=f"Project {n}",
            body={
                "id": f"0caextra{n:05d}",
                "archived": False,
                "name": f"Project {n}",
                "account": {"type": "EXPENSE", "number": f"7{n:03d}"},
                "createdTime": LONG_AGO,
                "updatedTime": LONG_AGO,
            },
            created_at=now,
            updated_at=now,
        )
        for n in range(160)
    )
    sync(bill)
    asked = calls.paths("/classifications/chart-of-accounts")
    assert len(asked) == 3, asked  # 207 accounts: 100, 100, 7
    assert all("max=100" in query for _, _, query in asked)
    assert "page=" not in asked[0][2] and all("page=" in query for _, _, query in asked[1:])
    assert counts(bill)["accounts"] == 42 + 160


def test_an_account_gone_from_the_chart_becomes_inactive_never_deleted(bill):
    gone = entries(bill, A).get(code="469")
    chart_rows().filter(external_id=gone.external_id).delete()
    sync(bill)
    gone.refresh_from_db()
    assert not gone.active, "the full pass marks what it did not see inactive"
    assert counts(bill)["accounts"] == 41


def test_an_incremental_pass_asks_for_what_changed_since_and_sees_an_archived_account(bill, calls):
    for row in Contact.objects.filter(provider="bill_com", organisation=sandbox_organisation()):
        row.body = {**row.body, "createdTime": LONG_AGO, "updatedTime": LONG_AGO}
        row.save(update_fields=["body"])
    sync(bill)
    rent = entries(bill, A).get(code="469")
    assert rent.active
    client_of(bill).call("POST", f"/classifications/chart-of-accounts/{rent.external_id}/archive")
    calls.seen.clear()
    sync(bill, full=False)
    asked = calls.paths("/classifications/chart-of-accounts")
    assert len(asked) == 1 and 'filters=updatedTime:gt:"' in asked[0][2], asked
    since = datetime.fromisoformat(asked[0][2].split('updatedTime:gt:"')[1].split('"')[0].replace("Z", "+00:00"))
    assert since < datetime.now(UTC), "since the last pass began (a few minutes earlier)"
    rent.refresh_from_db()
    assert not rent.active, "archived since the last pass"
    assert entries(bill, A).get(code="429").active, "an incremental pass marks nothing vanished"
    assert counts(bill)["accounts"] == 41


def test_undocumented_list_filters_are_refused_by_the_sandbox(bill):
    from integrations.providers.base import ValidationError

    client = client_of(bill)
    for path, wanted in (
        ("/bills", 'invoice.invoiceNumber:eq:"INV-1"'),
        ("/vendors", 'address.city:eq:"Austin"'),
        ("/classifications/chart-of-accounts", 'account.number:eq:"429"'),
    ):
        try:
            client.call("GET", path, params={"filters": wanted})
        except ValidationError as exc:
            assert "BDC_1130" in exc.message
        else:
            raise AssertionError(f"the sandbox took the undocumented filter {wanted} on {path}")
    assert client.call("GET", "/bills", params={"filters": 'vendorId:eq:"009x"'}).json()["results"] == []
