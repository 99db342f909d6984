"""Counting failures in the shared cache, and the address a request comes from.

A :class:`FailureWindow` counts failures per subject (an email address, a client address…). The first
failure opens a window of ``window_seconds``; once ``limit`` failures are in it, the subject is blocked
until the window ends, and nothing more is counted meanwhile. Counters live in Django's cache (Redis,
shared by every process), under a digest of the subject rather than the subject itself.

The cache is a counter store, not a source of truth: when it cannot be reached the window reports
"not blocked" and logs, so an outage of Redis does not lock everybody out.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger(__name__)

IPV6_PREFIX = 64  # one customer's IPv6 allocation: anything narrower is free for an attacker to rotate


@dataclass(frozen=True)
class FailureWindow:
    scope: str  # names the counter, e.g. "signin-email"
    limit: int
    window_seconds: int

    def _keys(self, subject: str) -> tuple[str, str]:
        digest = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).hexdigest()[:40]
        base = f"throttle:{self.scope}:{digest}"
        return f"{base}:count", f"{base}:since"

    def blocked_for(self, subject: str) -> int:
        """Seconds until ``subject`` may try again (at least 1), or 0 when it is not blocked."""
        if self.limit <= 0:
            return 0
        count_key, since_key = self._keys(subject)
        try:
            found = cache.get_many([count_key, since_key])
        except Exception:
            logger.warning("Throttle counters unreachable; not blocking", extra={"scope": self.scope}, exc_info=True)
            return 0
        if int(found.get(count_key) or 0) < self.limit:
            return 0
        since = float(found.get(since_key) or time.time())
        return max(1, math.ceil(since + self.window_seconds - time.time()))

    def record(self, subject: str) -> None:
        """Count one failure of ``subject``; the first one opens the window."""
        if self.limit <= 0:
            return
        count_key, since_key = self._keys(subject)
        try:
            cache.add(since_key, time.time(), timeout=self.window_seconds)
            if cache.add(count_key, 1, timeout=self.window_seconds):
                return
            try:
                cache.incr(count_key)  # Redis INCR keeps the key's expiry: the window does not slide
            except ValueError:  # expired between the two calls: this failure opens a new window
                cache.set(count_key, 1, timeout=self.window_seconds)
        except Exception:
            logger.warning(
                "Throttle counters unreachable; failure not counted", extra={"scope": self.scope}, exc_info=True
            )

    def reset(self, subject: str) -> None:
        try:
            cache.delete_many(list(self._keys(subject)))
        except Exception:
            logger.warning("Throttle counters unreachable; not reset", extra={"scope": self.scope}, exc_info=True)


def client_address(request: HttpRequest) -> str:
    """The address the request came from: REMOTE_ADDR, or with ``TRUSTED_PROXY_COUNT`` proxies in front of us
    (each appending to X-Forwarded-For), the address the outermost trusted proxy received the request from.
    Anything a client could have written itself is ignored."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                logger.warning("X-Forwarded-For holds no address where a trusted proxy writes one")
    return remote


def address_subject(address: str) -> str:
    """What an address is counted as: itself, or for IPv6 its /64 network."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{parsed}/{IPV6_PREFIX}", strict=False))
    return str(parsed)


def wait_in_words(seconds: int) -> str:
    """``"1 minute"``, ``"15 minutes"``: how long to wait, rounded up to whole minutes."""
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"
