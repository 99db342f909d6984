"""ETAs from the queue ahead and the connection's limits (publishing.eta, issue 14)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.providers import registry
from integrations.ratelimit import _redis, day_index, next_day_start, provider_slot
from publishing.eta import (
    connection_forecasts,
    documents_per_window,
    item_etas,
    limit_use,
    recent_rate,
    throughput,
)
from publishing.limits import jobs_wait_for_day
from publishing.models import PublishJob, PublishJobStatus
from publishing.pipeline import items_publish
from tests.publishing.test_pipeline_outbox import _ready_cost


@pytest.fixture
def sent(monkeypatch):
    messages = []
    monkeypatch.setattr("publishing.pipeline._send", lambda ids, queue: messages.append(ids))
    return messages


def _queue(world, n, *, queue="publish_bulk"):
    items = [_ready_cost(world, invoice_number=f"INV-{queue}-{k}") for k in range(n)]
    result = items_publish(business=world.a, item_ids=[i.pk for i in items], actor=None, queue=queue)
    assert not result.errors, result.errors
    return items


def test_throughput_counts_every_call_a_document_costs(world, connect):
    xero = connect(world.a, "xero")
    # 60 calls a minute; a document costs 1/50 of a create request, one upload, a look-up now and then.
    assert throughput(xero) == pytest.approx(60 / (1 / 50 + 1 + 0.02) / 60)
    assert throughput(xero, attachment_share=0.0) == pytest.approx(60 / (1 / 50 + 0.02) / 60)
    qbo = registry.get("quickbooks_online")
    assert documents_per_window(qbo) == pytest.approx(400), "40 batch requests of 10 a minute bind first"


def test_the_time_scale_speeds_throughput_alike(world, connect, settings):
    xero = connect(world.a, "xero")
    normal = throughput(xero)
    settings.RATE_LIMIT_TIME_SCALE = 0.1
    assert throughput(xero) == pytest.approx(normal * 10)


def test_item_etas_follow_the_claim_order(world, connect, sent, django_assert_max_num_queries):
    xero = connect(world.a, "xero")
    bulk = _queue(world, 3)
    urgent = _queue(world, 1, queue="publish_interactive")
    with provider_slot(connection_id=xero.pk, per_minute=60, concurrent=0, calls=60):
        pass  # this minute's calls are spent: every item waits for the window to slide
    now = timezone.now()
    ids = [i.pk for i in [*bulk, *urgent]]
    with django_assert_max_num_queries(3):
        etas = item_etas(world.a.pk, ids)
    rate = throughput(xero, attachment_share=0.0)
    assert etas[str(urgent[0].pk)] < etas[str(bulk[0].pk)] < etas[str(bulk[1].pk)] < etas[str(bulk[2].pk)]
    assert etas[str(bulk[2].pk)] - now == pytest.approx(timedelta(seconds=4 / rate), abs=timedelta(seconds=1))


def test_an_item_beyond_the_days_calls_is_due_the_next_day(world, connect, sent, settings):
    settings.XERO_DAY_LIMIT = 1000
    xero = connect(world.a, "xero")
    [item] = _queue(world, 1)
    _redis().set(f"ratelimit:{xero.pk}:day:{day_index()}", 1000)
    eta = item_etas(world.a.pk, [item.pk])[str(item.pk)]
    assert eta >= next_day_start()


def test_forecasts_count_the_queue_and_say_when_it_waits_for_the_day(world, connect, sent):
    xero = connect(world.a, "xero")
    _queue(world, 4)
    with provider_slot(connection_id=xero.pk, per_minute=60, concurrent=0, calls=60):
        pass  # this minute's calls are spent
    [forecast] = connection_forecasts([xero.pk]).values()
    assert (forecast.queued, forecast.publishing, forecast.waiting_for_day) == (4, 0, False)
    assert forecast.eta > timezone.now()
    resumes = next_day_start()
    assert jobs_wait_for_day(xero, resumes, now=timezone.now()) == 4
    forecast = connection_forecasts([xero.pk])[xero.pk]
    assert forecast.waiting_for_day and forecast.eta >= resumes
    assert forecast.reason == f"Waiting for Xero's daily limit; resumes at {resumes:%H:%M} UTC"
    assert PublishJob.objects.for_business(world.a).filter(not_before=resumes).count() == 4


def test_limit_use_reads_the_limiters_counters(world, connect, settings):
    settings.XERO_DAY_LIMIT = 1000
    xero = connect(world.a, "xero")
    with provider_slot(connection_id=xero.pk, per_minute=60, concurrent=5, calls=7, day_limit=1000):
        pass
    use = limit_use([xero.pk])[xero.pk]
    assert (use.minute_used, use.minute_limit, use.day_used, use.day_limit) == (7, 60, 7, 1000)


def test_what_the_minute_has_room_for_is_due_now(world, connect, sent):
    connect(world.a, "xero")
    items = _queue(world, 3)
    etas = item_etas(world.a.pk, [i.pk for i in items])
    assert all(eta - timezone.now() < timedelta(seconds=1) for eta in etas.values()), "an empty window waits"


def test_the_measured_rate_counts_the_jobs_after_the_first_batch():
    now = timezone.now()
    # 20 jobs finished in two batches ten seconds apart: the second batch's ten took those ten seconds.
    assert recent_rate(finished=20, batches=2, first=now - timedelta(seconds=10), last=now) == pytest.approx(1.0)
    assert recent_rate(finished=9, batches=3, first=now - timedelta(seconds=10), last=now) is None, "too few"
    assert recent_rate(finished=50, batches=1, first=now, last=now) is None, "one batch says nothing of a rate"


def _finished(world, items, seconds_ago: float) -> None:
    PublishJob.objects.for_business(world.a).filter(item__in=items).update(
        status=PublishJobStatus.SUCCEEDED, finished_at=timezone.now() - timedelta(seconds=seconds_ago)
    )


def test_a_connection_slower_than_its_limits_is_forecast_at_its_measured_rate(world, connect, sent):
    xero = connect(world.a, "xero")
    items = _queue(world, 30)
    _finished(world, items[:10], 20)
    _finished(world, items[10:20], 10)  # one document a second lately; its limits would allow about 25
    now = timezone.now()
    forecast = connection_forecasts([xero.pk])[xero.pk]
    assert forecast.eta - now == pytest.approx(timedelta(seconds=10), abs=timedelta(seconds=1))
    etas = item_etas(world.a.pk, [i.pk for i in items[20:]])
    assert etas[str(items[-1].pk)] - now == pytest.approx(timedelta(seconds=10), abs=timedelta(seconds=1))


def test_a_connection_faster_than_its_limits_is_forecast_at_its_limits(world, connect, sent):
    xero = connect(world.a, "xero")
    items = _queue(world, 60)
    before = connection_forecasts([xero.pk])[xero.pk].eta - timezone.now()
    _finished(world, items[:20], 2)
    _finished(world, items[20:40], 1)  # twenty a second: more than the limits allow, which stay the bound
    forecast = connection_forecasts([xero.pk])[xero.pk]
    assert forecast.eta - timezone.now() == pytest.approx(before * 20 / 60, abs=timedelta(seconds=1))
