"""Rows and item pages in flight poll until the item lands; QuickBooks Desktop items say they wait."""

from django.urls import reverse

from integrations.services import publishing_defaults_get
from publishing.models import Item, ItemState
from publishing.services import item_create
from tests.integrations.qbwc.fake_web_connector import create_web_connector_connection


def _item(world, connect, **extra):
    connect(world.a, "xero")
    fields = {"date": "2026-11-02", "total": "10.00", "category": "429"} | extra
    return item_create(business=world.a, actor=None, kind="cost", contact_name="Paper Co", **fields)


def test_a_queued_row_polls_itself_and_stops_once_published(client, world, connect):
    item = _item(world, connect)
    client.force_login(world.users["business_admin"])
    Item.objects.for_business(world.a).filter(pk=item.pk).update(state=ItemState.QUEUED)
    row_url = reverse("item_row", kwargs={"business_id": world.a.id, "item_id": item.id})
    inbox = client.get(reverse("costs_inbox", kwargs={"business_id": world.a.id}) + "?tab=ready").content.decode()
    assert f'hx-get="{row_url}" hx-trigger="every 2s"' in inbox
    Item.objects.for_business(world.a).filter(pk=item.pk).update(state=ItemState.PUBLISHED)
    row = client.get(row_url).content.decode()
    assert "Published" in row and "hx-trigger" not in row, "a landed row must stop polling"


def test_item_page_polls_while_in_flight_then_refreshes(client, world, connect):
    item = _item(world, connect)
    client.force_login(world.users["business_admin"])
    Item.objects.for_business(world.a).filter(pk=item.pk).update(state=ItemState.PUBLISHING)
    page = client.get(reverse("item_detail", kwargs={"business_id": world.a.id, "item_id": item.id})).content.decode()
    status_url = reverse("item_status", kwargs={"business_id": world.a.id, "item_id": item.id})
    assert 'data-testid="publish-status"' in page and status_url in page
    assert 'data-testid="publish-status"' in client.get(status_url).content.decode()
    Item.objects.for_business(world.a).filter(pk=item.pk).update(state=ItemState.PUBLISHED)
    done = client.get(status_url)
    assert done.status_code == 204 and done["HX-Refresh"] == "true"


def test_quickbooks_desktop_items_say_they_wait_for_the_web_connector(client, world):
    connection, _ = create_web_connector_connection(business=world.a)
    defaults = publishing_defaults_get(business=world.a)
    defaults.default_publishing_connection = connection
    defaults.save()
    item = item_create(
        business=world.a, actor=None, kind="cost", contact_name="X", date="2026-11-01", total="5", category="Utilities"
    )
    Item.objects.for_business(world.a).filter(pk=item.pk).update(state=ItemState.QUEUED, integration=connection)
    client.force_login(world.users["business_admin"])
    page = client.get(reverse("item_detail", kwargs={"business_id": world.a.id, "item_id": item.id})).content.decode()
    assert "Waiting for QuickBooks Desktop" in page
    inbox = client.get(reverse("costs_inbox", kwargs={"business_id": world.a.id}) + "?tab=ready").content.decode()
    assert "Waiting for QuickBooks Desktop" in inbox


def test_row_and_status_of_another_tenant_are_404(client, world, connect):
    item = _item(world, connect)
    client.force_login(world.users["b_admin"])
    for name in ("item_row", "item_status"):
        response = client.get(reverse(name, kwargs={"business_id": world.a.id, "item_id": item.id}))
        assert response.status_code == 404, f"{name} leaked"
        response = client.get(reverse(name, kwargs={"business_id": world.b.id, "item_id": item.id}))
        assert response.status_code == 404, f"{name} leaked across the URL"
