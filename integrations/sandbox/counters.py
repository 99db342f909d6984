"""Counters shared by every process, kept in PostgreSQL: fixed-window call counts, in-flight calls
for the concurrency limits, and sequences for numeric ids."""

import hashlib
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection

from integrations.sandbox import clock
from integrations.sandbox.models import InFlightCall, RateCounter

# An in-flight row older than this belongs to a process that died mid-call; it no longer counts.
STALE_AFTER = timedelta(minutes=5)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Limit:
    key: str
    seconds: int
    allowed: int
    problem: str


class LimitExceeded(Exception):
    def __init__(self, problem: str, retry_after: int):
        super().__init__(problem)
        self.problem = problem
        self.retry_after = retry_after


def advisory_lock(key: str) -> None:
    """Serialise transactions on ``key`` until the current transaction ends."""
    number = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [number])


def _increment(key: str, window_start: datetime, by: int = 1) -> int:
    table = RateCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, window_start, count) VALUES (%s, %s, %s) "  # noqa: S608 (our table name)
            f"ON CONFLICT (key, window_start) DO UPDATE SET count = {table}.count + EXCLUDED.count RETURNING count",
            [key, window_start, by],
        )
        return cursor.fetchone()[0]


def window_seconds(seconds: float) -> float:
    """A provider's window as the sandbox keeps it: ``RATE_LIMIT_TIME_SCALE`` shrinks it, as it shrinks our own
    limiter's (integrations.ratelimit), so that both count the same windows."""
    return seconds * max(1e-4, float(getattr(settings, "RATE_LIMIT_TIME_SCALE", 1.0)))


def calls_count(limits: list[Limit]) -> dict[str, int]:
    """Count this call in every window (fixed windows from the epoch, as the providers' minutes and UTC days);
    answer what remains per problem, or raise LimitExceeded."""
    now = clock.now()
    remaining = {}
    exceeded = None
    for limit in limits:
        elapsed = (now - _EPOCH).total_seconds()
        seconds = window_seconds(limit.seconds)
        start = _EPOCH + timedelta(seconds=math.floor(elapsed / seconds) * seconds)
        count = _increment(limit.key, start)
        remaining[limit.problem] = max(limit.allowed - count, 0)
        if count > limit.allowed and exceeded is None:
            retry_after = max(1, math.ceil((start + timedelta(seconds=seconds) - now).total_seconds()))
            exceeded = LimitExceeded(limit.problem, retry_after)
        if count == 1:  # a new window: forget this key's old ones (the last KEPT_WINDOWS stay, for benchmarks)
            RateCounter.objects.filter(
                key=limit.key, window_start__lt=start - KEPT_WINDOWS * timedelta(seconds=seconds)
            ).delete()
    if exceeded:
        refused_count(limit_key=exceeded_key(limits, exceeded))
        raise exceeded
    return remaining


# Past windows kept per key: what a benchmark reads back to see the calls each window received.
KEPT_WINDOWS = 200


def exceeded_key(limits: list[Limit], exceeded: LimitExceeded) -> str:
    return next((limit.key for limit in limits if limit.problem == exceeded.problem), limits[0].key)


def refused_count(*, limit_key: str) -> None:
    """One more 429 the sandbox answered for this provider (``refused:<provider>``), read by tests and benchmarks."""
    _increment(f"refused:{limit_key.split(':', 1)[0]}", _EPOCH)


def refused_total(provider_prefix: str) -> int:
    row = RateCounter.objects.filter(key=f"refused:{provider_prefix}", window_start=_EPOCH).first()
    return row.count if row else 0


def windows(key_prefix: str) -> list[tuple[str, datetime, int]]:
    """(key, window start, calls counted) of every kept window whose key starts with ``key_prefix``."""
    return list(
        RateCounter.objects.filter(key__startswith=key_prefix)
        .order_by("key", "window_start")
        .values_list("key", "window_start", "count")
    )


@contextmanager
def concurrency_slot(key: str, allowed: int, *, problem: str = "concurrent") -> Iterator[None]:
    """Hold one of ``allowed`` slots for ``key`` while the call runs; LimitExceeded when all are taken. The slot
    is taken in one statement (``sandbox_slot_take``: under a lock per key, forget the slots of dead processes,
    count, insert), since every API call of every provider passes here."""
    now = clock.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT sandbox_slot_take(%s, %s, %s, %s)", [key, allowed, now - STALE_AFTER, now])
        slot = cursor.fetchone()[0]
    if slot is None:
        refused_count(limit_key=key)
        raise LimitExceeded(problem, 1)
    try:
        yield
    finally:
        InFlightCall.objects.filter(pk=slot).delete()


def sequence_next(key: str) -> int:
    """1, 2, 3, … per key (QuickBooks' numeric ids)."""
    return _increment(f"seq:{key}", _EPOCH)


def sequence_take(key: str, count: int) -> range:
    """The next ``count`` numbers of ``sequence_next``'s sequence, taken in one statement."""
    last = _increment(f"seq:{key}", _EPOCH, by=count)
    return range(last - count + 1, last + 1)
