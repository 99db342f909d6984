"""When queued work should be published, from the queue ahead of it and its connection's limits (issue 14).

A connection publishes at most what its provider allows: calls a window (Xero 60 a minute, QuickBooks Online 500
and 40 batch requests, Bill.com 300) divided by the calls a document costs (its share of a create request, an
upload for its attachment, a look-up now and then), and, where the provider has one, calls a day. A queued item's
ETA is its place in its connection's queue, in the order the worker claims (``publishing.pipeline.CLAIM_ORDER``),
divided by that rate, plus the wait for the next day when the day's calls will run out before its turn. When the
limits are not the bottleneck (busy workers, a slow provider), the rate is what the connection measurably published
lately instead: the queue over the lower of the two (:func:`measured_rates`).

The windows follow ``RATE_LIMIT_TIME_SCALE`` (integrations.ratelimit), so a benchmark's six-second "minute" gives
ETAs in its own time. Each function answers for many items or connections in one aggregate query (and one Redis
round trip), never one per row. ``connection_forecasts`` and ``limit_use`` take connection ids their caller has
already authorised (a practice page spans its clients' businesses).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from integrations.models import Connection
from integrations.providers import registry
from integrations.ratelimit import day_seconds, minute_seconds, next_day_start, used
from publishing.models import PublishJob, PublishJobStatus
from publishing.pipeline import CLAIM_ORDER

OPEN = (PublishJobStatus.PENDING, PublishJobStatus.CLAIMED)
# Look-ups a document costs on average (a new supplier's id, a tax-rate list): most are cached.
LOOK_UPS_PER_DOCUMENT = 0.02
# The measured rate: jobs finished in the last few (scaled) minutes, never less than half a minute of real time,
# and only with enough of them (and two batches at least) to say anything.
RECENT_MINUTES, RECENT_SECONDS_LEAST, RECENT_JOBS_LEAST = 3, 30.0, 10
FINISHED = (PublishJobStatus.SUCCEEDED, PublishJobStatus.FAILED)


def calls_per_document(provider, *, attachment_share: float = 1.0) -> float:
    """The calls one document costs against its connection's limit of calls a window."""
    per_request = provider.request_size or provider.batch_size or 1
    # Attachments go up after their document (publishing.attaching), in the same window of the connection.
    uploads = attachment_share * provider.calls_per_attachment
    return 1.0 / per_request + uploads + LOOK_UPS_PER_DOCUMENT


def documents_per_window(provider, *, attachment_share: float = 1.0) -> float:
    """Documents a connection of ``provider`` publishes in one window of its limit (at most)."""
    by_calls = provider.rate_limit_per_minute / calls_per_document(provider, attachment_share=attachment_share)
    if provider.batch_rate_limit_per_minute:
        by_requests = provider.batch_rate_limit_per_minute * (provider.request_size or provider.batch_size)
        by_calls = min(by_calls, by_requests)
    return by_calls


def throughput(connection: Connection, *, attachment_share: float = 1.0) -> float:
    """Documents a second the connection can sustain: the documents its limit allows a window, over the window's
    length. One message of a connection is in flight at a time (fair dispatch), and it holds one of the provider's
    calls at once: the limit a window, not concurrency, is the bound for every provider we push to."""
    provider = registry.get(connection.provider)
    if not provider.rate_limit_per_minute:
        return float("inf")
    return documents_per_window(provider, attachment_share=attachment_share) / minute_seconds()


def documents_per_day(connection: Connection, *, attachment_share: float = 1.0) -> float | None:
    provider = registry.get(connection.provider)
    if not provider.day_limit:
        return None
    return provider.day_limit / calls_per_document(provider, attachment_share=attachment_share)


def _finish(
    position: float,
    rate: float,
    *,
    now: datetime,
    start: datetime,
    per_day: float | None,
    today_left: float | None,
    head: float = 0.0,
) -> datetime:
    """When the ``position``-th document of a queue is published, starting at ``start``; the first ``head`` go at
    once (what the current minute window has room for)."""
    if rate == float("inf"):
        return start
    if per_day is None or today_left is None or position <= today_left:
        return start + timedelta(seconds=max(0.0, position - head) / rate)
    beyond = position - today_left
    days = math.ceil(beyond / per_day)
    within = beyond - (days - 1) * per_day
    renews = next_day_start() + timedelta(seconds=(days - 1) * day_seconds())
    return max(renews, now) + timedelta(seconds=within / rate)


def _recent_since(now: datetime) -> datetime:
    return now - timedelta(seconds=max(RECENT_MINUTES * minute_seconds(), RECENT_SECONDS_LEAST))


def recent_rate(*, finished: int, batches: int, first: datetime | None, last: datetime | None) -> float | None:
    """Documents a second from the jobs finished lately: ``finished`` jobs in ``batches`` distinct finishing
    moments between ``first`` and ``last``. The first batch's jobs were worked on before ``first`` (unseen), so
    the rate counts the jobs after it: ``finished × (batches − 1) / batches`` over the span. None: too little
    history."""
    if finished < RECENT_JOBS_LEAST or batches < 2 or first is None or last is None:
        return None
    span = (last - first).total_seconds()
    if span <= 0:
        return None
    return finished * (batches - 1) / batches / span


def measured_rates(jobs, connection_ids, *, now: datetime) -> dict:
    """Per connection (of ``connection_ids``, among ``jobs``, a queryset already scoped by its caller): the
    documents a second it really published lately, or None without enough history. One aggregate query."""
    rows = (
        jobs.filter(connection_id__in=list(connection_ids), status__in=FINISHED, finished_at__gte=_recent_since(now))
        .values("connection_id")
        .annotate(
            finished=Count("id"),
            batches=Count("finished_at", distinct=True),
            first=Min("finished_at"),
            last=Max("finished_at"),
        )
    )
    return {
        row["connection_id"]: recent_rate(
            finished=row["finished"], batches=row["batches"], first=row["first"], last=row["last"]
        )
        for row in rows
    }


def effective_rate(limit_rate: float, measured: float | None) -> float:
    """The rate a queue drains at: the limits' unless the connection measurably publishes slower."""
    if measured is None or measured <= 0:
        return limit_rate
    return min(limit_rate, measured)


def _head_start(connection: Connection, calls_this_minute: int, attachment_share: float) -> float:
    """Documents the calls left in the current minute window publish at once (the window slides: what it has room
    for now goes without waiting)."""
    provider = registry.get(connection.provider)
    if not provider.rate_limit_per_minute:
        return 0.0
    left = max(0, provider.rate_limit_per_minute - calls_this_minute)
    return left / calls_per_document(provider, attachment_share=attachment_share)


def _today_left(connection: Connection, calls_today: int, attachment_share: float) -> float | None:
    provider = registry.get(connection.provider)
    if not provider.day_limit:
        return None
    return max(0, provider.day_limit - calls_today) / calls_per_document(provider, attachment_share=attachment_share)


def item_etas(business_id, item_ids) -> dict[str, datetime | None]:
    """For each queued item (of ``business_id``): when it should be published. None: not queued, or waiting for
    something that is not a limit (QuickBooks Desktop's Web Connector)."""
    now = timezone.now()
    etas: dict[str, datetime | None] = {str(pk): None for pk in item_ids}
    jobs = PublishJob.objects.for_business(business_id)
    asked = jobs.filter(item_id__in=item_ids, status__in=OPEN).values("connection_id")
    ranked = (
        jobs.filter(connection_id__in=asked, status__in=OPEN)
        .annotate(place=Window(RowNumber(), partition_by=[F("connection_id")], order_by=list(CLAIM_ORDER)))
        .values("item_id", "connection_id", "place", "not_before", "item__attachment")
    )
    rows = [row for row in ranked if str(row["item_id"]) in etas]
    connection_ids = {row["connection_id"] for row in rows}
    if not connection_ids:
        return etas
    connections = Connection.objects.for_business(business_id).in_bulk(connection_ids)
    calls = used(list(connection_ids))
    measured = measured_rates(jobs, connection_ids, now=now)
    for row in rows:
        connection = connections.get(row["connection_id"])
        if connection is None or registry.get(connection.provider).waits_for_pull:
            continue
        share = 1.0 if row["item__attachment"] else 0.0
        start = max(now, row["not_before"] or now)
        per_day = documents_per_day(connection, attachment_share=share)
        today_left = _today_left(connection, calls[str(connection.pk)][1], share) if start <= now else None
        head = _head_start(connection, calls[str(connection.pk)][0], share) if start <= now else 0.0
        limit_rate = throughput(connection, attachment_share=share)
        rate = effective_rate(limit_rate, measured.get(connection.pk))
        etas[str(row["item_id"])] = _finish(
            row["place"],
            rate,
            now=now,
            start=start,
            per_day=per_day,
            today_left=today_left,
            head=head if rate == limit_rate else 0.0,  # the limit's head start only when the limit binds
        )
    return etas


def item_waits(business_id, item_ids) -> dict[str, str]:
    """What a queued item waiting for a limit says ("Waiting for Xero's daily limit; resumes at 00:00 UTC"), for
    the items that wait."""
    rows = (
        PublishJob.objects.for_business(business_id)
        .filter(item_id__in=item_ids, status=PublishJobStatus.PENDING, not_before__gt=timezone.now())
        .exclude(last_error="")
        .values_list("item_id", "last_error", "last_error_kind")
    )
    return {str(item_id): message for item_id, message, kind in rows if kind == "rate_limited"}


@dataclass(frozen=True)
class Forecast:
    queued: int
    publishing: int
    eta: datetime | None
    waiting_for_day: bool
    reason: str


@dataclass(frozen=True)
class LimitUse:
    minute_used: int
    minute_limit: int
    day_used: int
    day_limit: int | None


def connection_forecasts(connection_ids) -> dict:
    """Per connection: jobs queued and being published, when the last should be done, and whether it waits for the
    provider's next day (and what it says)."""
    now = timezone.now()
    connections = Connection.objects.unscoped().in_bulk(list(connection_ids))
    waiting = PublishJob.objects.unscoped().filter(
        connection_id=OuterRef("connection_id"),
        status=PublishJobStatus.PENDING,
        not_before__gt=now,
        last_error_kind="rate_limited",
    )
    counts = {
        row["connection_id"]: row
        for row in PublishJob.objects.unscoped()
        .filter(connection_id__in=list(connections), status__in=OPEN)
        .values("connection_id")
        .annotate(
            queued=Count("id", filter=Q(status=PublishJobStatus.PENDING)),
            publishing=Count("id", filter=Q(status=PublishJobStatus.CLAIMED)),
            with_attachment=Count("id", filter=~Q(item__attachment="")),
            resumes=Max("not_before", filter=Q(not_before__gt=now)),
            day_wait=Exists(waiting.filter(last_error__startswith="Waiting for")),
        )
    }
    calls = used(list(connections))
    measured = measured_rates(PublishJob.objects.unscoped(), connections, now=now)
    answer = {}
    for pk, connection in connections.items():
        row = counts.get(pk)
        if row is None:
            answer[pk] = Forecast(queued=0, publishing=0, eta=None, waiting_for_day=False, reason="")
            continue
        total = row["queued"] + row["publishing"]
        share = row["with_attachment"] / total if total else 1.0
        provider = registry.get(connection.provider)
        day_used = calls[str(pk)][1]
        day_spent = bool(provider.day_limit) and day_used >= provider.day_limit
        waiting_for_day = bool(row["day_wait"]) or day_spent
        start = max(now, row["resumes"] or now) if waiting_for_day else now
        eta = None
        if not provider.waits_for_pull:
            limit_rate = throughput(connection, attachment_share=share)
            rate = effective_rate(limit_rate, measured.get(pk))
            binds = not waiting_for_day and rate == limit_rate  # the limit's head start only when the limit binds
            head = _head_start(connection, calls[str(pk)][0], share) if binds else 0.0
            eta = _finish(
                total,
                rate,
                now=now,
                start=start if not day_spent else max(start, next_day_start()),
                per_day=documents_per_day(connection, attachment_share=share),
                today_left=None if waiting_for_day else _today_left(connection, day_used, share),
                head=head,
            )
        reason = ""
        if waiting_for_day:
            resumes = row["resumes"] or next_day_start()
            reason = f"Waiting for {provider.name}'s daily limit; resumes at {resumes:%H:%M} UTC"
        elif provider.waits_for_pull:
            reason = provider.pull_label
        answer[pk] = Forecast(
            queued=row["queued"], publishing=row["publishing"], eta=eta, waiting_for_day=waiting_for_day, reason=reason
        )
    return answer


def limit_use(connection_ids) -> dict:
    """Per connection: calls in the current minute window and today, against the provider's limits (read from the
    limiter's Redis counters; a provider without a daily limit has ``day_limit`` None)."""
    connections = Connection.objects.unscoped().in_bulk(list(connection_ids))
    calls = used(list(connections))
    answer = {}
    for pk, connection in connections.items():
        provider = registry.get(connection.provider)
        minute_used, day_used = calls[str(pk)]
        answer[pk] = LimitUse(
            minute_used=minute_used,
            minute_limit=provider.rate_limit_per_minute,
            day_used=day_used,
            day_limit=provider.day_limit or None,
        )
    return answer
