"""Issue 14's ETA where a person or a script reads it: "eta" in the item API (queued items only, ISO 8601, read once
per page), "Expected to publish by …" on the item page and in the inbox row, or the daily limit's wait."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from publishing import eta
from publishing.pipeline import items_publish
from publishing.presenters import eta_words
from tests.publishing.conftest import make_item


def _queued(world, connect, n=2):
    connect(world.a, "xero")
    items = [make_item(world.a, invoice_number=f"Q-{i}") for i in range(n)]
    items_publish(business=world.a, item_ids=[items[0].pk], actor=None, dispatch=False)
    return items


def test_api_answers_eta_for_queued_items_only(world, api_as, connect):
    queued, ready = _queued(world, connect)
    api = api_as(world.users["business_admin"])
    body = api.get(f"/api/v1/businesses/{world.a.id}/items/{queued.id}/").json()
    assert body["state"] == "queued" and body["eta"] is not None
    assert timezone.datetime.fromisoformat(body["eta"]) > timezone.now() - timedelta(seconds=5)
    assert api.get(f"/api/v1/businesses/{world.a.id}/items/{ready.id}/").json()["eta"] is None


def test_items_list_reads_etas_once_for_the_page(world, api_as, connect, monkeypatch):
    _queued(world, connect)
    calls = []
    real = eta.item_etas
    monkeypatch.setattr(eta, "item_etas", lambda business_id, ids: calls.append(list(ids)) or real(business_id, ids))
    rows = api_as(world.users["business_admin"]).get(f"/api/v1/businesses/{world.a.id}/items/").json()["results"]
    assert {r["invoice_number"]: r["eta"] is not None for r in rows} == {"Q-0": True, "Q-1": False}
    assert len(calls) == 1, "the ETA must be read once for a page of items, not once per item"


def test_item_page_and_inbox_row_say_when_it_should_be_published(world, client, connect):
    queued, _ = _queued(world, connect)
    client.force_login(world.users["business_admin"])
    page = client.get(reverse("item_detail", kwargs={"business_id": world.a.id, "item_id": queued.id})).content.decode()
    assert 'data-testid="item-eta"' in page and "Expected to publish by" in page
    inbox = client.get(reverse("costs_inbox", kwargs={"business_id": world.a.id}) + "?tab=ready").content.decode()
    assert inbox.count('data-testid="item-eta"') == 1


def test_a_connection_waiting_for_its_daily_limit_says_so(world, client, connect, monkeypatch):
    queued, _ = _queued(world, connect)
    reason = "Xero's daily limit is spent: publishing resumes at 00:00."
    monkeypatch.setattr(
        eta,
        "connection_forecasts",
        lambda ids: {
            pk: eta.Forecast(queued=1, publishing=0, eta=None, waiting_for_day=True, reason=reason) for pk in ids
        },
    )
    client.force_login(world.users["business_admin"])
    page = client.get(reverse("item_detail", kwargs={"business_id": world.a.id, "item_id": queued.id})).content.decode()
    assert reason.replace("'", "&#x27;") in page


def test_eta_words():
    now = timezone.now().replace(hour=10, minute=0)
    assert eta_words(now + timedelta(minutes=12), now=now) == "Expected to publish by 10:12 (about 12 minutes)"
    assert eta_words(now + timedelta(seconds=20), now=now).endswith("(less than a minute)")
    assert "about 3 hours" in eta_words(now + timedelta(hours=3), now=now)
    assert eta_words(None) == ""
