"""A short-lived Redis cache of provider look-ups: contact ids (suppliers, customers) and reference data.

Looking a contact up before every document would double the calls against limits such as Xero's
60 a minute; the id of "Office Supplies Co" in one ledger does not change from one bill to the next.
"""

import contextlib
import hashlib
from collections.abc import Callable

import redis

from integrations.ratelimit import _redis

TTL_SECONDS = 3600


def _key(connection_id, kind: str, name: str) -> str:
    digest = hashlib.sha256(" ".join(name.lower().split()).encode()).hexdigest()[:32]
    return f"contact:{connection_id}:{kind}:{digest}"


def cached_lookup(connection_id, kind: str, name: str, look_up: Callable[[], str]) -> str:
    key = _key(connection_id, kind, name)
    try:
        found = _redis().get(key)
    except redis.RedisError:
        found = None
    if found:
        return found.decode()
    contact_id = look_up()
    with contextlib.suppress(redis.RedisError):
        _redis().set(key, contact_id, ex=TTL_SECONDS)
    return contact_id
