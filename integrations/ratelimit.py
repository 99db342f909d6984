"""Per-connection rate limits in Redis, shared by every worker process.

Two limits per connection, both kept in one Redis sorted set each and checked by one Lua script
so that check-and-take is atomic across workers: calls in the last 60 seconds (sliding window) and
calls in flight (each slot expires on its own, so a killed worker cannot hold one for ever).
Redis holds counters only; losing them merely resets the windows.
"""

from __future__ import annotations

import time
import uuid
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

import redis
from django.conf import settings

from integrations.providers.base import OwnLimitReached

_ACQUIRE = """
local window_key, flight_key = KEYS[1], KEYS[2]
local now, per_minute = tonumber(ARGV[1]), tonumber(ARGV[2])
local concurrent, slot_ttl, token = tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
local calls = tonumber(ARGV[6])
redis.call('ZREMRANGEBYSCORE', window_key, '-inf', now - 60)
redis.call('ZREMRANGEBYSCORE', flight_key, '-inf', now)
if per_minute > 0 and redis.call('ZCARD', window_key) + calls > per_minute then
  local oldest = redis.call('ZRANGE', window_key, 0, 0, 'WITHSCORES')
  return {0, tostring(math.max(0.05, tonumber(oldest[2]) + 60 - now)), 'minute'}
end
if concurrent > 0 and redis.call('ZCARD', flight_key) >= concurrent then
  return {0, '0.5', 'concurrent'}
end
for n = 1, calls do
  redis.call('ZADD', window_key, now, token .. ':' .. n)
end
redis.call('EXPIRE', window_key, 61)
redis.call('ZADD', flight_key, now + slot_ttl, token)
redis.call('EXPIRE', flight_key, slot_ttl + 1)
return {1, '0', ''}
"""


_COUNT = """
local window_key = KEYS[1]
local now, per_minute, token = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
redis.call('ZREMRANGEBYSCORE', window_key, '-inf', now - 60)
if redis.call('ZCARD', window_key) >= per_minute then
  local oldest = redis.call('ZRANGE', window_key, 0, 0, 'WITHSCORES')
  return tostring(math.max(0.05, tonumber(oldest[2]) + 60 - now))
end
redis.call('ZADD', window_key, now, token)
redis.call('EXPIRE', window_key, 61)
return '0'
"""

# The calls the slot being held reserved in its connection's minute and not yet made (see call_count).
_reserved: ContextVar[dict | None] = ContextVar("ratelimit_reserved", default=None)


@lru_cache(maxsize=4)
def _client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)


def _redis() -> redis.Redis:
    return _client(settings.REDIS_URL)


@contextmanager
def provider_slot(
    *, connection_id, per_minute: int, concurrent: int, slot_seconds: int = 120, window="minute", calls: int = 1
):
    """Hold one call slot of a connection, or raise OwnLimitReached with how long to wait. ``window`` names the
    per-minute count the call goes into (QuickBooks Online counts its batch requests on their own); ``calls``
    is how many requests the slot's holder will make in it (all of them, or none, fit the minute)."""
    token = uuid.uuid4().hex
    calls = max(1, min(calls, per_minute)) if per_minute > 0 else 1  # more than the minute holds would never fit
    window_key = f"ratelimit:{connection_id}:{window}"
    flight_key = f"ratelimit:{connection_id}:flight"
    client = _redis()
    taken, wait, which = client.eval(
        _ACQUIRE, 2, window_key, flight_key, time.time(), per_minute, concurrent, slot_seconds, token, calls
    )
    if not int(taken):
        reason = "calls a minute" if which == b"minute" else "calls at once"
        raise OwnLimitReached(f"Our own limit of {reason} for this connection was reached.", float(wait))
    held = _reserved.set({"connection": str(connection_id), "window": window, "left": calls})
    try:
        yield Slot(client=client, flight_key=flight_key, token=token)
    finally:
        _reserved.reset(held)
        with suppress(redis.RedisError):  # the slot expires by itself
            client.zrem(flight_key, token)


def call_count(*, connection_id, per_minute: int) -> None:
    """Count one request of a connection in its minute, as the provider counts every request. Inside a slot that
    reserved calls of this connection's minute (:func:`provider_slot`), the request spends one of them; beyond them,
    or outside any slot (a look-up, an attachment, a retry after a refresh), it takes one more place in the minute,
    or raises OwnLimitReached with how long to wait."""
    held = _reserved.get()
    if held and held["connection"] == str(connection_id) and held["window"] == "minute" and held["left"] > 0:
        held["left"] -= 1
        return
    if per_minute <= 0:
        return
    wait = float(
        _redis().eval(_COUNT, 1, f"ratelimit:{connection_id}:minute", time.time(), per_minute, uuid.uuid4().hex)
    )
    if wait > 0:
        raise OwnLimitReached("Our own limit of calls a minute for this connection was reached.", wait)


def calls_counted(*, connection_id) -> int:
    """The requests counted in the connection's last minute."""
    key = f"ratelimit:{connection_id}:minute"
    client = _redis()
    client.zremrangebyscore(key, "-inf", time.time() - 60)
    return int(client.zcard(key))


@dataclass(frozen=True)
class Slot:
    """A call slot being held: :meth:`renew` keeps it for ``seconds`` more (a call that outlasts the slot's
    time would otherwise let another caller in beyond the connection's limit of calls at once)."""

    client: redis.Redis
    flight_key: str
    token: str

    def renew(self, seconds: float) -> None:
        until = time.time() + seconds
        # XX: only a slot still held (not one that expired and was dropped). Every slot of a connection is taken
        # for the same time, so none of the others outlives the key's new expiry.
        if self.client.zadd(self.flight_key, {self.token: until}, xx=True, ch=True):
            self.client.expire(self.flight_key, int(seconds) + 1)
