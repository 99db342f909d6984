"""TEMP eta stub (the lead drops this commit when mcore's publishing/eta.py is merged).

The interface the month-end page and the item ETA use, with simple arithmetic behind it: a connection publishes
``rate_limit_per_minute × batch_size`` documents a minute, and a queued item waits for the jobs of its connection
queued before it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from integrations.models import Connection
from integrations.providers import registry
from publishing.models import PublishJob, PublishJobStatus


@dataclass(frozen=True)
class Forecast:
    queued: int
    publishing: int
    eta: datetime | None
    waiting_for_day: bool = False
    reason: str = ""


@dataclass(frozen=True)
class LimitUse:
    minute_used: int
    minute_limit: int
    day_used: int
    day_limit: int | None


def throughput(connection: Connection) -> float:
    """Documents a second the connection's limits allow."""
    provider = registry.get(connection.provider)
    return max(provider.rate_limit_per_minute, 1) * max(provider.batch_size, 1) / 60.0


def _open_jobs(connection_ids):
    return PublishJob.objects.unscoped().filter(
        connection_id__in=list(connection_ids), status__in=(PublishJobStatus.PENDING, PublishJobStatus.CLAIMED)
    )


def item_etas(business_id, item_ids) -> dict[str, datetime | None]:
    """When each queued item should be published (items not queued are absent)."""
    jobs = list(
        PublishJob.objects.for_business(business_id)
        .filter(item_id__in=list(item_ids), status=PublishJobStatus.PENDING)
        .select_related("connection")
    )
    now = timezone.now()
    answer: dict[str, datetime | None] = {}
    for job in jobs:
        ahead = _open_jobs([job.connection_id]).filter(created_at__lt=job.created_at).count()
        answer[str(job.item_id)] = now + timedelta(seconds=(ahead + 1) / throughput(job.connection))
    return answer


def connection_forecasts(connection_ids) -> dict:
    connections = Connection.objects.unscoped().in_bulk(list(connection_ids))
    counts = {
        row["connection_id"]: row
        for row in _open_jobs(connections)
        .values("connection_id")
        .annotate(
            queued=Count("id", filter=Q(status=PublishJobStatus.PENDING)),
            publishing=Count("id", filter=Q(status=PublishJobStatus.CLAIMED)),
        )
    }
    now = timezone.now()
    answer = {}
    for pk, connection in connections.items():
        row = counts.get(pk, {"queued": 0, "publishing": 0})
        waiting = row["queued"] + row["publishing"]
        eta = now + timedelta(seconds=waiting / throughput(connection)) if waiting else None
        answer[pk] = Forecast(queued=row["queued"], publishing=row["publishing"], eta=eta)
    return answer


def limit_use(connection_ids) -> dict:
    from integrations.ratelimit import _redis

    connections = Connection.objects.unscoped().in_bulk(list(connection_ids))
    client, now = _redis(), time.time()
    answer = {}
    for pk, connection in connections.items():
        used = client.zcount(f"ratelimit:{pk}:minute", now - 60, "+inf")
        limit = registry.get(connection.provider).rate_limit_per_minute
        answer[pk] = LimitUse(minute_used=int(used), minute_limit=limit, day_used=0, day_limit=None)
    return answer
