"""Bill.com's errors, read by their ``BDC_`` code (never by their message text), in one table.

An error answer is a JSON list of ``{"timestamp", "code", "severity", "category", "message"}``
(developer.bill.com/docs/common-api-error-codes). The codes this client acts on:

- ``BDC_1109`` "Session is invalid. Please log in.": the session lapsed (35 idle minutes); sign in again once.
- ``BDC_1101`` (user name or password), ``BDC_1102``/``BDC_1103`` (developer key invalid or inactive), ``BDC_1104``
  (developer terms), ``BDC_1107`` (organisation locked out), ``BDC_1110`` (login locked), ``BDC_1111`` (no active
  user), ``BDC_1123`` (organisation id): the saved sign-in is refused; the connection needs a reconnect.
- ``BDC_1144``: over the developer key's requests an hour (20,000), or its logins an hour (200): every request waits
  for the next hour (developer.bill.com/docs/api-rate-limits). A throttled login is not a refused password.
- ``BDC_1322``: over the 3 requests at once per organisation: try again in a moment.
- ``BDC_1001`` "System error occurred.": Bill.com's own trouble, worth retrying.

Any other code is the request's own refusal (its message goes on the item), or, with a 5xx, a transient failure.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import httpx

from integrations.http import retry_after_seconds
from integrations.providers.base import (
    AuthError,
    ProviderError,
    ProviderRateLimited,
    TransientError,
    ValidationError,
)


class Meaning(StrEnum):
    SESSION_LAPSED = "session_lapsed"
    SIGN_IN_REFUSED = "sign_in_refused"
    HOURLY_LIMIT = "hourly_limit"
    CONCURRENCY_LIMIT = "concurrency_limit"
    TRANSIENT = "transient"
    REFUSED = "refused"


CODES: dict[str, Meaning] = {
    "BDC_1109": Meaning.SESSION_LAPSED,
    "BDC_1101": Meaning.SIGN_IN_REFUSED,
    "BDC_1102": Meaning.SIGN_IN_REFUSED,
    "BDC_1103": Meaning.SIGN_IN_REFUSED,
    "BDC_1104": Meaning.SIGN_IN_REFUSED,
    "BDC_1107": Meaning.SIGN_IN_REFUSED,
    "BDC_1110": Meaning.SIGN_IN_REFUSED,
    "BDC_1111": Meaning.SIGN_IN_REFUSED,
    "BDC_1123": Meaning.SIGN_IN_REFUSED,
    "BDC_1144": Meaning.HOURLY_LIMIT,
    "BDC_1322": Meaning.CONCURRENCY_LIMIT,
    "BDC_1001": Meaning.TRANSIENT,
}
# When several errors come in one answer, the one that decides what to do: waiting beats refusing.
PRECEDENCE = (
    Meaning.HOURLY_LIMIT,
    Meaning.CONCURRENCY_LIMIT,
    Meaning.SESSION_LAPSED,
    Meaning.SIGN_IN_REFUSED,
    Meaning.TRANSIENT,
)


class SessionLapsed(AuthError):
    """The session is gone (``BDC_1109``): the client signs in again once; only then is it a reconnect."""


def errors_of(response: httpx.Response) -> list[dict]:
    try:
        body = response.json()
    except ValueError:
        return []
    errors = body if isinstance(body, list) else [body]
    return [e for e in errors if isinstance(e, dict)]


def meaning_of(response: httpx.Response) -> Meaning:
    found = {CODES.get(str(e.get("code", ""))) for e in errors_of(response)}
    for meaning in PRECEDENCE:
        if meaning in found:
            return meaning
    if response.status_code == 429:
        return Meaning.CONCURRENCY_LIMIT
    if response.status_code == 401:
        return Meaning.SESSION_LAPSED
    if response.status_code >= 500:
        return Meaning.TRANSIENT
    return Meaning.REFUSED


def message_of(response: httpx.Response, default: str) -> str:
    """Bill.com's own words: each error's message and code."""
    parts = [f"{e.get('message', '')} ({e.get('code', '')})".strip() for e in errors_of(response)]
    return "; ".join(p for p in parts if p and p != "()") or default


def seconds_to_next_hour(now: datetime | None = None) -> float:
    """Bill.com counts a developer key's requests by the clock hour: a throttled key may call again when the next
    hour starts (a second later, for the clocks' sake)."""
    now = now or datetime.now()
    return 3600.0 - now.minute * 60 - now.second - now.microsecond / 1_000_000 + 1.0


def error_for(response: httpx.Response) -> ProviderError:
    """The taxonomy's error for a Bill.com error answer (any status of 400 and above)."""
    meaning = meaning_of(response)
    words = message_of(response, f"Bill.com answered {response.status_code}.")
    if meaning is Meaning.HOURLY_LIMIT:
        return ProviderRateLimited(
            f"Bill.com's limit of requests an hour for this developer key is reached: {words}",
            retry_after=seconds_to_next_hour(),
        )
    if meaning is Meaning.CONCURRENCY_LIMIT:
        return ProviderRateLimited(f"Bill.com asked us to slow down: {words}", retry_after_seconds(response, 1.0))
    if meaning is Meaning.SESSION_LAPSED:
        return SessionLapsed(f"Bill.com ended the session: {words}")
    if meaning is Meaning.SIGN_IN_REFUSED:
        return AuthError(f"Bill.com refused the saved sign-in: {words}")
    if response.status_code >= 500:
        return TransientError(f"Bill.com had a problem ({response.status_code}).")
    if meaning is Meaning.TRANSIENT:
        return TransientError(f"Bill.com had a problem: {words}")
    if response.status_code == 403:
        return AuthError(f"Bill.com refused our access: {words}")
    return ValidationError(words if words else "Bill.com refused the document.")
