"""What the pages read out through their live region (issue 15): inline Integration saves and refusals, and
rows or item pages whose publish lands. htmx answers name the words in an HX-Trigger "announce" event."""

import json

from django.contrib.messages import get_messages
from django.urls import reverse

from publishing.models import Item, ItemState
from tests.publishing.conftest import make_item

HTMX = {"HTTP_HX_REQUEST": "true"}


def page(name, business, **kwargs):
    return reverse(name, kwargs={"business_id": business.id, **kwargs})


def announced(response) -> str | None:
    header = response.headers.get("HX-Trigger")
    return json.loads(header)["announce"] if header else None


def test_an_inline_save_is_announced_with_where_the_item_goes(client, world, xero_bill):
    xero, _ = xero_bill
    item = make_item(world.a, contact="Café Zoë", invoice_number="Z-1")
    admin = world.users["business_admin"]
    client.force_login(admin)
    response = client.post(page("item_integration", world.a, item_id=item.id), {"integration": xero.id}, **HTMX)
    assert response.status_code == 200
    assert announced(response) == f"Saved: Café Zoë Z-1 goes to Xero (chosen by {admin.display_name})."
    assert response.headers["HX-Trigger"].isascii(), "a header value: names are sent as JSON escapes"


def test_an_inline_refusal_is_announced_with_the_reason(client, world, xero_bill):
    _, bill = xero_bill
    sale = make_item(world.a, kind="sales", contact="Bluebell Interiors")
    client.force_login(world.users["business_admin"])
    response = client.post(
        page("item_integration", world.a, item_id=sale.id), {"integration": bill.id, "render": "field"}, **HTMX
    )
    assert announced(response).startswith("Not saved: Sales always go to the main accounting software")


def test_a_polling_row_announces_only_once_it_has_landed(client, world, xero_bill):
    item = make_item(world.a, contact="Paper Co", invoice_number="P-9")
    client.force_login(world.users["business_admin"])
    url = page("item_row", world.a, item_id=item.id)
    Item.objects.for_business(world.a).filter(pk=item.pk).update(state=ItemState.QUEUED)
    assert announced(client.get(url)) is None, "still in flight: nothing to say yet"
    Item.objects.for_business(world.a).filter(pk=item.pk).update(state=ItemState.PUBLISHED)
    assert announced(client.get(url)) == "Published to Bill.com: Paper Co P-9."
    Item.objects.for_business(world.a).filter(pk=item.pk).update(
        state=ItemState.READY, last_publish_error="Account code '999' is not a valid code."
    )
    assert announced(client.get(url)) == "Not published: Paper Co P-9. Account code '999' is not a valid code."


def test_an_item_page_that_lands_reloads_with_the_outcome_as_a_message(client, world, xero_bill):
    item = make_item(world.a, contact="Paper Co", invoice_number="P-9")
    client.force_login(world.users["business_admin"])
    Item.objects.for_business(world.a).filter(pk=item.pk).update(state=ItemState.PUBLISHED)
    response = client.get(page("item_status", world.a, item_id=item.id))
    assert response.status_code == 204 and response["HX-Refresh"] == "true"
    assert [str(m) for m in get_messages(response.wsgi_request)] == ["Published to Bill.com: Paper Co P-9."]
    detail = client.get(page("item_detail", world.a, item_id=item.id)).content.decode()
    assert "data-announce>\n      Published to Bill.com: Paper Co P-9." in detail


def test_every_page_has_one_polite_live_region_and_a_skip_link(client, world, xero_bill):
    client.force_login(world.users["business_admin"])
    html = client.get(page("costs_inbox", world.a)).content.decode()
    assert html.count('aria-live="polite"') == 1
    assert '<div id="live-status" class="visually-hidden" role="status" aria-live="polite"' in html
    assert '<a class="skip-link" href="#main">Skip to main content</a>' in html and 'id="main"' in html
