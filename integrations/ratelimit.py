"""Per-connection rate limits in Redis, shared by every worker process.

Three limits per connection, checked by one Lua script so that check-and-take is atomic across workers:

- calls in the last minute: a sorted set of calls (a sliding window, stricter than a provider's fixed one);
- calls in flight: a sorted set of slots, each expiring on its own, so a killed worker cannot hold one for ever;
- calls today (providers with a daily limit, Xero's 5,000 an organisation): a counter per UTC day, the window the
  provider resets at midnight UTC.

A *metered* slot (``metered=True``: publishing, attachments) reserves the calls its holder expects to make, and
every HTTP request made while it is held spends one of them (:func:`call_spend`, hooked into the shared HTTP
client): a call's entry in the minute window is moved to the moment it is really made, a call beyond the
reservation (a look-up nobody expected) is taken on its own or refused, and what was reserved but not spent is
given back when the slot ends. So the windows hold what was really sent, and a batch never counts what it did not do.

``RATE_LIMIT_TIME_SCALE`` shrinks every window (0.1: a six-second "minute", a 8,640-second "day"); the sandbox
scales its own windows by the same setting, so both sides agree. Redis holds counters only; losing them merely
resets the windows (and the provider's ``X-DayLimit-Remaining`` puts the day's count back, :func:`day_remaining_note`).
"""

from __future__ import annotations

import contextvars
import math
import time
import uuid
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

import redis
from django.conf import settings

from integrations.providers.base import DayLimitReached, OwnLimitReached

MINUTE, DAY = 60.0, 86_400.0
# Our minute is a little longer than the provider's: a call is stamped when it leaves, and arrives a moment later.
SEND_MARGIN_SECONDS = 0.15

# KEYS: minute window, flight, day counter, second window ('' for none)
# ARGV: now, per_minute, concurrent, slot_ttl, token, calls, window_seconds, day_limit, day_ttl, day_wait,
#       second_limit, second_calls, take_flight
_ACQUIRE = """
local window_key, flight_key, day_key, second_key = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now, per_minute = tonumber(ARGV[1]), tonumber(ARGV[2])
local concurrent, slot_ttl, token = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local calls, window = tonumber(ARGV[6]), tonumber(ARGV[7])
local day_limit, day_ttl, day_wait = tonumber(ARGV[8]), tonumber(ARGV[9]), ARGV[10]
local second_limit, second_calls, take_flight = tonumber(ARGV[11]), tonumber(ARGV[12]), tonumber(ARGV[13])
local function wait_for(key, limit, want)
  local over = redis.call('ZCARD', key) + want - limit
  local row = redis.call('ZRANGE', key, over - 1, over - 1, 'WITHSCORES')
  if not row[2] then return '0.05' end
  return tostring(math.max(0.05, tonumber(row[2]) + window - now))
end
redis.call('ZREMRANGEBYSCORE', window_key, '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', flight_key, '-inf', now)
if per_minute > 0 and redis.call('ZCARD', window_key) + calls > per_minute then
  return {0, wait_for(window_key, per_minute, calls), 'minute'}
end
if second_limit > 0 then
  redis.call('ZREMRANGEBYSCORE', second_key, '-inf', now - window)
  if redis.call('ZCARD', second_key) + second_calls > second_limit then
    return {0, wait_for(second_key, second_limit, second_calls), 'minute'}
  end
end
if day_limit > 0 and tonumber(redis.call('GET', day_key) or '0') + calls > day_limit then
  return {0, day_wait, 'day'}
end
if take_flight == 1 and concurrent > 0 and redis.call('ZCARD', flight_key) >= concurrent then
  return {0, '0.5', 'concurrent'}
end
if per_minute > 0 then
  for n = 1, calls do
    redis.call('ZADD', window_key, now, token .. ':' .. n)
  end
  redis.call('EXPIRE', window_key, math.ceil(window) + 1)
end
if second_limit > 0 then
  for n = 1, second_calls do
    redis.call('ZADD', second_key, now, token .. ':' .. n)
  end
  redis.call('EXPIRE', second_key, math.ceil(window) + 1)
end
if day_limit > 0 then
  redis.call('INCRBY', day_key, calls)
  redis.call('EXPIRE', day_key, day_ttl)
end
if take_flight == 1 then
  redis.call('ZADD', flight_key, now + slot_ttl, token)
  redis.call('EXPIRE', flight_key, slot_ttl + 1)
end
return {1, '0', ''}
"""

# A reserved call being made now: its entry moves to this moment (XX: only while it is still in the window).
# KEYS: minute window. ARGV: now, member, window_seconds. Answers 1 when the entry was still there.
_SPEND = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[3]))
if not redis.call('ZSCORE', KEYS[1], ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], 'XX', ARGV[1], ARGV[2])
return 1
"""

# The provider's own count of the day (X-DayLimit-Remaining) when it is higher than ours (Redis was emptied).
_DAY_AT_LEAST = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if current < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
end
return 1
"""


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)


def _redis() -> redis.Redis:
    return _client(settings.REDIS_URL)


# ------------------------------------------------------------------ windows


def time_scale() -> float:
    return max(1e-4, float(getattr(settings, "RATE_LIMIT_TIME_SCALE", 1.0)))


def minute_seconds() -> float:
    """The length of "a minute" for the limits (60 s unless ``RATE_LIMIT_TIME_SCALE`` shrinks it)."""
    return MINUTE * time_scale()


def day_seconds() -> float:
    return DAY * time_scale()


def _window_seconds() -> float:
    return minute_seconds() + SEND_MARGIN_SECONDS


def day_index(now: float | None = None) -> int:
    """Which day (UTC, scaled): days start at multiples of ``day_seconds`` since the epoch, as the provider's do."""
    return math.floor((time.time() if now is None else now) / day_seconds())


def next_day_start(now: float | None = None) -> datetime:
    """When the current (scaled) day's budget renews: 00:00 UTC tomorrow at scale 1."""
    return datetime.fromtimestamp((day_index(now) + 1) * day_seconds(), tz=UTC)


def _day_wait(now: float) -> float:
    return max(0.05, (day_index(now) + 1) * day_seconds() - now)


def _keys(connection_id, window: str = "minute") -> tuple[str, str, str]:
    return f"ratelimit:{connection_id}:{window}", f"ratelimit:{connection_id}:flight", f"ratelimit:{connection_id}:day"


def _day_key(connection_id, index: int) -> str:
    return f"ratelimit:{connection_id}:day:{index}"


def _day_ttl() -> int:
    return int(day_seconds()) + 120


# ------------------------------------------------------------------ slots


_current: contextvars.ContextVar[Slot | None] = contextvars.ContextVar("ratelimit_slot", default=None)


@contextmanager
def provider_slot(
    *,
    connection_id,
    per_minute: int,
    concurrent: int,
    slot_seconds: int = 120,
    window="minute",
    calls: int = 1,
    day_limit: int = 0,
    metered: bool = False,
    batch_limit: int = 0,
    batch_calls: int = 0,
):
    """Hold one call slot of a connection, or raise OwnLimitReached (DayLimitReached for the day) with how long to
    wait. ``window`` names the per-minute count the calls go into; ``calls`` is how many requests the holder will
    make (all of them fit, or none do). ``metered``: each HTTP request made while the slot is held spends one of
    them (see the module's note), and those not spent are given back at the end. ``batch_limit``/``batch_calls``: a
    second per-minute count the provider keeps of its batch requests (QuickBooks Online's 40 a minute)."""
    token = uuid.uuid4().hex
    calls = max(1, min(calls, per_minute)) if per_minute > 0 else max(1, calls)  # more would never fit the minute
    if day_limit > 0:
        calls = min(calls, day_limit)
    window_key, flight_key, _ = _keys(connection_id, window)
    second_key = f"ratelimit:{connection_id}:batch" if batch_limit else ""
    now = time.time()
    index = day_index(now)
    client = _redis()
    taken, wait, which = client.eval(
        _ACQUIRE,
        4,
        window_key,
        flight_key,
        _day_key(connection_id, index),
        second_key or window_key,
        now,
        per_minute,
        concurrent,
        slot_seconds,
        token,
        calls,
        _window_seconds(),
        day_limit,
        _day_ttl(),
        _day_wait(now),
        batch_limit,
        batch_calls,
        1,
    )
    if not int(taken):
        _refuse(which, float(wait))
    slot = Slot(
        client=client,
        flight_key=flight_key,
        token=token,
        connection_id=str(connection_id),
        window_key=window_key,
        per_minute=per_minute,
        day_limit=day_limit,
        reserved=calls if (metered and per_minute > 0) else 0,
        day_reserved=calls if day_limit > 0 else 0,
        day=index,
    )
    reset = _current.set(slot) if metered else None
    try:
        yield slot
    finally:
        if reset is not None:
            _current.reset(reset)
        with suppress(redis.RedisError):  # the slot expires by itself
            client.zrem(flight_key, token)
            if metered:
                slot.give_back()


def _refuse(which, wait: float):
    if which in (b"day", "day"):
        resumes = next_day_start()
        raise DayLimitReached("The provider's daily limit of calls for this connection is spent.", wait, resumes)
    reason = "calls a minute" if which in (b"minute", "minute") else "calls at once"
    # Never more than a minute (our window's margin aside: a try that comes that much early waits again).
    raise OwnLimitReached(f"Our own limit of {reason} for this connection was reached.", min(wait, minute_seconds()))


@dataclass
class Slot:
    """A call slot being held: :meth:`renew` keeps it for ``seconds`` more (a call that outlasts the slot's
    time would otherwise let another caller in beyond the connection's limit of calls at once)."""

    client: redis.Redis
    flight_key: str
    token: str
    connection_id: str = ""
    window_key: str = ""
    per_minute: int = 0
    day_limit: int = 0
    reserved: int = 0  # calls reserved in the minute window (metered slots)
    day_reserved: int = 0
    day: int = 0
    spent: int = 0
    extra: int = 0
    extra_tokens: list[str] = field(default_factory=list)

    def renew(self, seconds: float) -> None:
        until = time.time() + seconds
        # XX: only a slot still held (not one that expired and was dropped). Every slot of a connection is taken
        # for the same time, so none of the others outlives the key's new expiry.
        if self.client.zadd(self.flight_key, {self.token: until}, xx=True, ch=True):
            self.client.expire(self.flight_key, int(seconds) + 1)

    def spend(self) -> None:
        """One HTTP request is being made now."""
        now = time.time()
        same_day = self.day_limit <= 0 or day_index(now) == self.day
        if self.spent < self.reserved and same_day:
            self.spent += 1
            member = f"{self.token}:{self.spent}"
            if int(self.client.eval(_SPEND, 1, self.window_key, now, member, _window_seconds())):
                return
            # Reserved so long ago that it left the minute window: this call needs a place of its own in the
            # minute, but not in the day, where its reservation still stands (counting it again there spent the
            # day twice: at a short scaled minute every batch was refused one call into a new day).
            self._take_one(now, day=False)
            return
        if self.spent < self.reserved:
            self.spent += 1  # reserved in a day that has ended: counted again in today's
        self._take_one(now)

    def _take_one(self, now: float, *, day: bool = True) -> None:
        token = f"{self.token}-x{self.extra}"
        self.extra += 1
        taken, wait, which = self.client.eval(
            _ACQUIRE,
            4,
            self.window_key,
            self.flight_key,
            _day_key(self.connection_id, day_index(now)),
            self.window_key,
            now,
            self.per_minute,
            0,
            0,
            token,
            1,
            _window_seconds(),
            self.day_limit if day else 0,
            _day_ttl(),
            _day_wait(now),
            0,
            0,
            0,
        )
        if not int(taken):
            _refuse(which, float(wait))

    def give_back(self) -> None:
        """The reserved calls that were not made leave the windows."""
        unused = self.reserved - self.spent
        if unused > 0:
            self.client.zrem(self.window_key, *[f"{self.token}:{n}" for n in range(self.spent + 1, self.reserved + 1)])
        day_unused = self.day_reserved - min(self.spent, self.day_reserved)
        if day_unused > 0 and day_index() == self.day:
            self.client.decrby(_day_key(self.connection_id, self.day), day_unused)
        self.reserved = self.spent


def call_spend() -> None:
    """Count one HTTP request against the slot this code runs under (nothing outside a metered slot)."""
    slot = _current.get()
    if slot is not None:
        slot.spend()


def current_connection_id() -> str | None:
    slot = _current.get()
    return slot.connection_id if slot is not None else None


def current_day_limit() -> int:
    slot = _current.get()
    return slot.day_limit if slot is not None else 0


# ------------------------------------------------------------------ what is left, what was used


@dataclass(frozen=True)
class Budget:
    """What a connection may still call now: in this minute window, today (None: no daily limit), and when the
    minute next has room for one call."""

    minute_left: int
    day_left: int | None
    minute_wait: float
    day_resumes_at: datetime | None = None


def budget(*, connection_id, per_minute: int, day_limit: int = 0, window: str = "minute") -> Budget:
    """Read-only: the calls left to this connection (another worker may take them meanwhile: the slot decides)."""
    now = time.time()
    window_key = _keys(connection_id, window)[0]
    pipe = _redis().pipeline(transaction=False)
    pipe.zcount(window_key, now - _window_seconds(), "+inf")
    pipe.zrangebyscore(window_key, now - _window_seconds(), "+inf", start=0, num=1, withscores=True)
    pipe.get(_day_key(connection_id, day_index(now)))
    in_window, oldest, day_used = pipe.execute()
    minute_left = max(0, per_minute - in_window) if per_minute > 0 else 1_000_000
    minute_wait = 0.0
    if not minute_left:
        minute_wait = min(minute_seconds(), max(0.05, oldest[0][1] + _window_seconds() - now)) if oldest else 0.05
    day_left = None
    resumes = None
    if day_limit > 0:
        day_left = max(0, day_limit - int(day_used or 0))
        if day_left == 0:
            resumes = next_day_start(now)
    return Budget(minute_left=minute_left, day_left=day_left, minute_wait=minute_wait, day_resumes_at=resumes)


def used(connection_ids: list, *, window: str = "minute") -> dict[str, tuple[int, int]]:
    """(calls in the current minute window, calls today) per connection, read in one round trip."""
    now = time.time()
    index = day_index(now)
    pipe = _redis().pipeline(transaction=False)
    for connection_id in connection_ids:
        pipe.zcount(_keys(connection_id, window)[0], now - _window_seconds(), "+inf")
        pipe.get(_day_key(connection_id, index))
    answers = pipe.execute()
    return {
        str(connection_id): (int(answers[2 * n]), int(answers[2 * n + 1] or 0))
        for n, connection_id in enumerate(connection_ids)
    }


def day_remaining_note(connection_id, *, day_limit: int, remaining: int) -> None:
    """The provider said how many calls are left today: when it counts more used than we do (Redis was emptied, or
    another app of ours shares the organisation), believe it."""
    if day_limit <= 0:
        return
    slot = _current.get()
    # The provider counts what was sent; ours also holds what this slot reserved and has not sent yet (given back
    # at its end).
    outstanding = 0
    if slot is not None and slot.connection_id == str(connection_id):
        outstanding = max(0, slot.day_reserved - slot.spent)
    key = _day_key(connection_id, day_index())
    _redis().eval(_DAY_AT_LEAST, 1, key, max(0, day_limit - remaining) + outstanding, _day_ttl())


def day_spent(connection_id, *, day_limit: int) -> None:
    """The provider refused a call for the day (429 with the day named): today is spent."""
    if day_limit > 0:
        _redis().eval(_DAY_AT_LEAST, 1, _day_key(connection_id, day_index()), day_limit, _day_ttl())
        slot = _current.get()
        if slot is not None and slot.connection_id == str(connection_id):
            slot.day_reserved = min(slot.day_reserved, slot.spent)  # nothing to give back: the day is gone


def call_count(*, connection_id, per_minute: int, day_limit: int = 0) -> None:
    """A request of a connection made outside any metered slot of it (a client used on its own: a look-up, a
    refresh's retry): it takes one place in the connection's minute, and in its day where the provider counts one,
    or raises OwnLimitReached / DayLimitReached with how long to wait. Under a metered slot of the same connection
    the HTTP hook (:func:`call_spend`) counts it instead, so no request is counted twice."""
    slot = _current.get()
    if slot is not None and slot.connection_id == str(connection_id):
        return
    if per_minute <= 0 and day_limit <= 0:
        return
    with provider_slot(connection_id=connection_id, per_minute=per_minute, concurrent=0, calls=1, day_limit=day_limit):
        pass


def in_flight(connection_id) -> int:
    """Slots of the connection held right now (batches being published)."""
    return int(_redis().zcount(_keys(connection_id)[1], time.time(), "+inf"))


def calls_counted(*, connection_id) -> int:
    """The requests counted in the connection's current minute window."""
    return used([connection_id])[str(connection_id)][0]
