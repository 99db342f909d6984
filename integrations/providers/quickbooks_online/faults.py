"""Intuit's faults, read the way the real service sends them.

- The gateway (authentication, authorisation, throttling) answers with lowercase keys
  (``{"fault": {"error": [{"message", "detail", "code"}]}}``), the Accounting API with ``{"Fault": {"Error": [...]}}``;
  both are read.
- A fault can come inside an HTTP 200: per operation of a batch, per file of an upload.
- 429, or a fault with code 3001 (``ThrottleExceeded``): wait for the next minute (Intuit's advice; it sends no
  ``Retry-After``).
- 403 with code 3100 (``ApplicationAuthorizationFailed``): the company no longer authorises us (or the token is for
  another host); a refresh will not help.
"""

from __future__ import annotations

from datetime import datetime

THROTTLED = {"3001", "003001"}
LOST_AUTHORISATION = {"3100", "003100"}


def fault_errors(body) -> list[dict]:
    """The errors of a fault, their keys lowercased (``message``, ``detail``, ``code``, ``element``)."""
    if not isinstance(body, dict):
        return []
    fault = body.get("Fault") or body.get("fault") or {}
    if not isinstance(fault, dict):
        return []
    errors = fault.get("Error") or fault.get("error") or []
    return [{k.lower(): v for k, v in e.items()} for e in errors if isinstance(e, dict)]


def fault_codes(body) -> set[str]:
    return {str(e.get("code", "")) for e in fault_errors(body)}


def fault_message(body, default: str) -> str:
    """A person's sentence for a fault: each error's message and detail."""
    parts = [" — ".join(str(p) for p in (e.get("message"), e.get("detail")) if p) for e in fault_errors(body)]
    return "; ".join(p for p in parts if p) or default


def is_throttled(body) -> bool:
    return bool(fault_codes(body) & THROTTLED)


def is_lost_authorisation(body) -> bool:
    return bool(fault_codes(body) & LOST_AUTHORISATION)


def seconds_to_next_minute(now: datetime | None = None) -> float:
    """Intuit counts calls a minute: a throttled company may call again when the next minute starts (one second
    later, for the clocks' sake)."""
    now = now or datetime.now()
    return 60.0 - now.second - now.microsecond / 1_000_000 + 1.0
