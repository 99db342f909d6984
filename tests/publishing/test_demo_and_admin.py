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
