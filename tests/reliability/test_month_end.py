"""Month-end with real worker processes (issue 14): a small client is not held up by another's backlog, a big
backlog uses its provider's limit fully without one 429, the day's limit makes items wait (not fail), and the
ETA given at the start holds. The limit windows are shrunk by RATE_LIMIT_TIME_SCALE, ours and the sandbox's."""

import pytest
from django.utils import timezone

from integrations.sandbox import counters
from publishing.eta import connection_forecasts, item_waits
from publishing.models import Item, ItemState, PublishJob, PublishJobStatus
from publishing.pipeline import items_publish
from tests.reliability.rig import connect_oauth, seed_items

pytestmark = pytest.mark.reliability


def _scale(rig, **values) -> None:
    for name, value in values.items():
        rig.extra_env[name] = str(value)
        setattr(rig.settings, name, value)


def _publish(business, admin, items, queue="publish_bulk"):
    result = items_publish(business=business, item_ids=[i.pk for i in items], actor=admin, queue=queue)
    assert result.updated == len(items) and not result.errors, result.errors


def test_a_small_clients_item_is_not_held_up_by_another_clients_backlog(rig, client):
    """300 jobs of one company (150 messages under the old dispatch, each a real request: limits far away at time
    scale 0.01, so the machine is the bottleneck) and then one item of another client: it is published while the
    backlog is still draining, within a few seconds, not after the 150 messages queued before it."""
    _scale(rig, PUBLISH_BATCH_MAX=2, RATE_LIMIT_TIME_SCALE=0.01)
    big, big_admin = rig.business("Big client")
    small, small_admin = rig.business("Small client")
    connect_oauth(client, big, big_admin, "quickbooks_online", organisation=0)
    connect_oauth(client, small, small_admin, "xero", organisation=0)
    backlog = seed_items(big, 300, provider="quickbooks_online")
    [mine] = seed_items(small, 1, provider="xero")
    rig.beat()
    rig.worker()
    _publish(big, big_admin, backlog)
    rig.wait_some_published(backlog, 10, timeout=60)
    asked = timezone.now()
    _publish(small, small_admin, [mine], queue="publish_interactive")
    rig.wait_published([mine], timeout=60)
    mine.refresh_from_db()
    waited = (mine.published_at - asked).total_seconds()
    still_queued = len(backlog) - rig.published(backlog)
    assert still_queued > 0, "the backlog had drained: the test proves nothing"
    assert waited < 5, f"the small client's item waited {waited:.1f}s behind another client's backlog"
    rig.wait_published(backlog, timeout=240)
    rig.assert_published_exactly_once(backlog, "quickbooks_online")


def test_a_big_backlog_uses_the_limit_fully_with_no_429_and_its_eta_holds(rig, client):
    """Xero: 60 calls a "minute" of 30 seconds (time scale 0.5), every document with its attachment (a call each):
    documents go 50 a create request and their uploads follow as the window frees, so the limit carries about 57
    documents a window, not the few whose uploads fit beside a create.
    The sandbox counts each organisation's calls per window: never over 60 (no 429), and at least 90 % of it in
    every full window while the backlog lasts. The ETA computed when the items were queued is within 20 %."""
    _scale(rig, RATE_LIMIT_TIME_SCALE=0.5, PUBLISH_BATCH_MAX=50)
    business, admin = rig.business("Backlog")
    xero = connect_oauth(client, business, admin, "xero", organisation=0)
    items = seed_items(business, 220, provider="xero", attachments=True)
    rig.beat()
    rig.worker()
    start = timezone.now()
    _publish(business, admin, items)
    predicted = connection_forecasts([xero.pk])[xero.pk].eta
    rig.wait_published(items, timeout=300)
    rig.assert_published_exactly_once(items, "xero")
    # Published means the document and its file are in Xero: the last upload ends the run.
    times = Item.objects.for_business(business).values_list("published_at", "attachment_status_at")
    finished = max(max(published, uploaded) for published, uploaded in times)

    assert counters.refused_total("xero") == 0, "the sandbox answered 429"
    tenant = xero.external_tenant_id
    calls = [count for key, _, count in counters.windows(f"xero:minute:{tenant}")]
    assert max(calls) <= 60
    full = calls[1:-1]  # the first and last windows are partly idle
    assert full, f"too few windows to judge: {calls}"
    use = sum(full) / (60 * len(full))
    print(f"calls per window: {calls}; utilisation of full windows {use:.0%}")
    assert use >= 0.9, f"the limit was used at {use:.0%}: {calls}"

    expected, actual = (predicted - start).total_seconds(), (finished - start).total_seconds()
    error = abs(actual - expected) / actual
    print(f"ETA: predicted {expected:.1f}s, took {actual:.1f}s, error {error:.0%}")
    assert error <= 0.2, f"predicted {expected:.1f}s, took {actual:.1f}s"


def _day_spent(rig, client, name: str):
    """A 43-second "day" (time scale 0.0005) of 40 calls: 60 items with attachments need more."""
    _scale(rig, RATE_LIMIT_TIME_SCALE=0.0005, XERO_DAY_LIMIT=40, PUBLISH_BATCH_MAX=50)
    business, admin = rig.business(name)
    xero = connect_oauth(client, business, admin, "xero", organisation=1)
    items = seed_items(business, 60, provider="xero", attachments=True)
    rig.beat()
    rig.worker()
    _publish(business, admin, items)

    def waiting() -> bool:
        return bool(item_waits(business.pk, [i.pk for i in items]))

    rig.wait(waiting, timeout=90, what="items waiting for the next day")
    return business, xero, items


def test_when_the_days_calls_are_spent_items_wait_saying_so(rig, client):
    """The items the day's calls do not cover wait, queued, saying so; none fails or spends an attempt, and the
    sandbox refused nothing (our count stopped first)."""
    business, xero, items = _day_spent(rig, client, "Daily")
    waits = item_waits(business.pk, [i.pk for i in items])
    assert all(message.startswith("Waiting for Xero's daily limit; resumes at ") for message in waits.values())
    assert {Item.objects.for_business(business).get(pk=pk).state for pk in waits} == {ItemState.QUEUED}
    assert connection_forecasts([xero.pk])[xero.pk].waiting_for_day
    jobs = PublishJob.objects.for_business(business)
    assert not jobs.filter(status=PublishJobStatus.FAILED).exists()
    assert set(jobs.filter(item_id__in=list(waits)).values_list("attempts", flat=True)) == {0}
    assert counters.refused_total("xero") == 0, "the sandbox answered 429"


def test_after_the_day_renews_the_waiting_items_are_published_once(rig, client):
    business, xero, items = _day_spent(rig, client, "Daily renewal")
    rig.wait_published(items, timeout=180)
    rig.assert_published_exactly_once(items, "xero")
    jobs = PublishJob.objects.for_business(business)
    assert set(jobs.values_list("attempts", flat=True)) == {1}, "waiting for the day spent an attempt"
    assert counters.refused_total("xero") == 0, "the sandbox answered 429"
