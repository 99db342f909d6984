"""The demo seeder (idempotent, realistic) and the admin pages of the publishing models."""

import pytest

from accounts.demo import seed_accounts
from integrations.models import PublishingDefaults
from publishing.demo import seed_items
from publishing.models import IntegrationSource, Item, ItemKind, ItemState, SupplierRule
from publishing.services import attachment_sniff


@pytest.fixture
def acme_connected(db, connect, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    seeded = seed_accounts()
    acme = seeded["acme"]
    xero = connect(acme, "xero", user=seeded["acme_admin"])
    bill = connect(acme, "bill_com", user=seeded["acme_admin"])
    PublishingDefaults.objects.for_business(acme).update(default_publishing_connection=bill)
    return acme, xero, bill


def test_seed_items_gives_acme_a_realistic_inbox(acme_connected):
    acme, xero, bill = acme_connected
    seed_items()
    items = Item.objects.for_business(acme)
    assert items.filter(kind=ItemKind.COST).count() >= 40
    assert items.filter(kind=ItemKind.EXPENSE_CLAIM).count() >= 5
    assert items.filter(kind=ItemKind.SALES).count() >= 8
    assert items.filter(state=ItemState.TO_REVIEW).exists() and items.filter(state=ItemState.READY).exists()
    assert not items.filter(state=ItemState.PUBLISHED).exists(), "published examples come from the real pipeline"
    rule = SupplierRule.objects.for_business(acme).get(supplier__name="Office Supplies Co")
    assert rule.integration_id == xero.id
    office = items.filter(supplier__name="Office Supplies Co", state__in=(ItemState.TO_REVIEW, ItemState.READY))
    assert set(office.values_list("integration_source", flat=True)) == {IntegrationSource.SUPPLIER_RULE}
    assert set(items.filter(kind=ItemKind.SALES).values_list("integration_id", flat=True)) == {xero.id}
    assert items.filter(integration_source=IntegrationSource.MANUAL).exists()
    with_pdf = [i for i in items if i.attachment]
    assert len(with_pdf) >= 3
    with with_pdf[0].attachment.open("rb") as handle:
        assert attachment_sniff(handle.read(1024)) == "application/pdf"


def test_seed_items_is_idempotent(acme_connected):
    acme, _, _ = acme_connected
    seed_items()
    counts = (Item.objects.for_business(acme).count(), SupplierRule.objects.for_business(acme).count())
    seed_items()
    assert (Item.objects.for_business(acme).count(), SupplierRule.objects.for_business(acme).count()) == counts


def test_seed_items_without_connections_still_seeds(db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    acme = seed_accounts()["acme"]
    seed_items()
    assert Item.objects.for_business(acme).count() >= 53
    assert not Item.objects.for_business(acme).exclude(integration=None).exists()


def test_admin_pages_of_publishing_models(client, world, connect):
    from publishing.services import item_create

    connect(world.a, "xero")
    item = item_create(business=world.a, actor=None, kind="cost", contact_name="Paper Co")
    admin = world.users["business_admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    for path in (
        "/admin/publishing/item/",
        f"/admin/publishing/item/{item.id}/change/",
        "/admin/publishing/supplier/",
        "/admin/publishing/customer/",
        "/admin/publishing/supplierrule/",
        "/admin/publishing/publishjob/",
    ):
        assert client.get(path).status_code == 200, path


def test_code_from_lists_codes_items_with_the_closest_entry_and_leaves_the_uncoded_to_review(db, connect, world):
    """The demo's words were written for Xero's chart: against another ledger's lists an item gets the entry
    sharing the most words (a tax rate: the same rate); an item without a category stays To review, naming the
    list to choose from."""
    from publishing.coding import coding_context, item_problems
    from publishing.demo import code_from_lists
    from publishing.services import item_create

    business, user = world.a, world.users["business_admin"]
    ledger = connect(business, "quickbooks_online", user=user)
    made = [
        item_create(
            business=business,
            actor=user,
            kind="cost",
            contact_name="Paper Co",
            date="2026-11-02",
            total="12.00",
            category=words,
            tax_rate=rate,
        )
        for words, rate in [
            ("461 Office Supplies & Stationery", "20% (VAT on Expenses)"),
            ("Electricity and utilities", ""),
            ("", ""),
            ("Nothing like it", ""),
        ]
    ]
    assert all(i.state == ItemState.TO_REVIEW for i in made), "none of the words names an entry as it is"
    assert code_from_lists(business, user) == 2
    office, power, bare, odd = (Item.objects.for_business(business).get(pk=i.pk) for i in made)
    assert (office.state, office.category_entry.name, office.tax_rate_entry.code) == (
        "ready",
        "Office Supplies",
        "INPUT2",
    )
    assert office.category_entry.connection_id == ledger.pk
    assert (power.state, power.category_entry.name) == ("ready", "Utilities")
    context = coding_context(business)
    assert bare.state == "to_review" and item_problems(bare, context) == [
        {"field": "category", "detail": "Choose a category from QuickBooks Online's list."}
    ]
    assert odd.state == "to_review" and odd.category_entry is None


def test_the_demo_syncs_each_connections_lists_and_codes_its_items_from_them(db, settings, tmp_path):
    """make run's seed: every connection whose ledger keeps lists is synced through the engine against the sandbox
    (the Connections page shows the counts), and the items are coded from those lists: most ready, a few To
    review saying why."""
    from django.core.management import call_command

    from accounts.models import Business
    from integrations.lists.models import ConnectionLists, ListSyncStatus
    from integrations.providers import registry
    from integrations.selectors import connections_live
    from publishing.coding import coding_context, item_problems

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SITE_URL = "http://127.0.0.1:8000"
    call_command("seed_demo")
    for name in ("Acme Trading Ltd", "Globex Corporation"):
        business = Business.objects.get(name=name)
        for connection in connections_live(business=business):
            if registry.get(connection.provider).list_kinds:
                state = ConnectionLists.objects.for_business(business).get(connection=connection)
                assert state.status == ListSyncStatus.READY and state.counts.get("accounts", 0) > 5, connection
        items = Item.objects.for_business(business).select_related("category_entry")
        ready, review = items.filter(state=ItemState.READY), items.filter(state=ItemState.TO_REVIEW)
        assert ready.count() > 2 * review.count() > 0, name
        context = coding_context(business)
        assert all(item_problems(i, context) for i in review), "every item to review says why"
    globex = Business.objects.get(name="Globex Corporation")
    items = Item.objects.for_business(globex).select_related("category_entry")
    assert {i.category_entry.name for i in items.filter(state=ItemState.READY)} >= {"Office Expenses", "Travel"}
    assert all(i.category_entry.connection.business_id == globex.pk for i in items.exclude(category_entry=None))
    waiting = items.get(supplier__name="City Parking")
    assert item_problems(waiting, coding_context(globex)) == [
        {"field": "category", "detail": "Choose a category from QuickBooks Online's list."}
    ]
