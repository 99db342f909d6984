"""Shared HTTP plumbing of the provider clients: one request path, one error mapping, and the bearer-token client
the OAuth providers' clients build on."""

from __future__ import annotations

import logging
import os
import threading

import httpx

from integrations import http, ratelimit, tokens
from integrations.http import retry_after_seconds
from integrations.providers.base import (
    AccessLost,
    AuthError,
    DayLimitReached,
    ExternalRef,
    ProviderError,
    ProviderRateLimited,
    TransientError,
    ValidationError,
)
from integrations.providers.lookups import cached_lookup

log = logging.getLogger(__name__)

Outcome = ExternalRef | ProviderError


# What a provider says of its daily limit (Xero's names; a provider that sends neither has no daily limit).
DAY_REMAINING_HEADER = "X-DayLimit-Remaining"
LIMIT_PROBLEM_HEADER = "X-Rate-Limit-Problem"


def _count_request(request: httpx.Request) -> None:
    """Every request made under a metered rate-limit slot spends one of its calls (or is refused before it leaves:
    OwnLimitReached)."""
    ratelimit.call_spend()


def _read_day(response: httpx.Response) -> None:
    """The provider's count of the day's calls, and its refusal for the day (429 naming the day): the connection's
    day is spent, and the work waits for the next one (DayLimitReached), spending no attempt."""
    connection_id = ratelimit.current_connection_id()
    day_limit = ratelimit.current_day_limit()
    if connection_id is None or day_limit <= 0:
        return
    if response.status_code == 429 and response.headers.get(LIMIT_PROBLEM_HEADER, "").lower() == "day":
        ratelimit.day_spent(connection_id, day_limit=day_limit)
        wait = retry_after_seconds(response, default=60.0)
        raise DayLimitReached(
            "The provider's daily limit of calls for this connection is spent.",
            wait,
            ratelimit.next_day_start(),
        )
    remaining = response.headers.get(DAY_REMAINING_HEADER)
    if remaining and remaining.isdigit():
        ratelimit.day_remaining_note(connection_id, day_limit=day_limit, remaining=int(remaining))


_shared: tuple[tuple, httpx.Client] | None = None
_shared_lock = threading.Lock()


def shared_http_client() -> httpx.Client:
    """One HTTP client per process (for the current transport and timeout), shared by every provider call.

    A new ``httpx.Client`` per call builds a new TLS context (the CA bundle parsed again, about half of a
    publish job's CPU time) and a new connection; this one keeps both. httpx clients may be shared between
    threads; a forked worker process makes its own (the key holds the process id).
    """
    global _shared
    kwargs = http.client_kwargs()
    key = (os.getpid(), kwargs.get("timeout"), id(kwargs.get("transport")))
    with _shared_lock:
        if _shared is None or _shared[0] != key:
            hooks = {"request": [_count_request], "response": [_read_day]}
            _shared = (key, httpx.Client(**kwargs, event_hooks=hooks))
        return _shared[1]


class HttpProviderClient:
    """Base of the HTTP clients. Constructors have no side effects."""

    provider_name = "the provider"

    def __init__(self, connection):
        self.connection = connection
        self._looked_up: dict[tuple[str, str], str] = {}

    def lookup(self, kind: str, name: str, look_up) -> str:
        """A contact id or reference data: from this client's memory (one batch asks for the same supplier
        many times), else the shared Redis cache, else the provider (``look_up``)."""
        key = (kind, " ".join(name.lower().split()))
        if key not in self._looked_up:
            self._looked_up[key] = cached_lookup(self.connection.pk, kind, name, look_up)
        return self._looked_up[key]

    def validation_message(self, response: httpx.Response) -> str:
        return f"{self.provider_name} refused the document ({response.status_code})."

    def publish_many(self, docs: list) -> list[Outcome]:
        """One outcome per document, in order: its ExternalRef, or the error that is its own.

        This default publishes them one request each. A failure that is not the document's own (authorisation,
        limits, the network) stops there: it becomes the outcome of that document and of every one after it,
        and what was published before it stays published. Clients with batch endpoints override this.
        """
        outcomes: list[Outcome] = []
        for doc in docs:
            try:
                outcomes.append(self.publish(doc))
            except ValidationError as exc:
                outcomes.append(exc)
            except ProviderError as exc:
                return outcomes + [exc] * (len(docs) - len(outcomes))
            except Exception as exc:  # a bug or an unexpected answer: keep the documents, retry with backoff
                log.exception("publish crashed", extra={"provider": self.provider_name})
                error = TransientError(f"Unexpected error: {exc.__class__.__name__}.")
                return outcomes + [error] * (len(docs) - len(outcomes))
        return outcomes

    def earlier_document(self, doc) -> ExternalRef | None:
        """The document an earlier publish job of this item made (``doc.sent_before``), found in the ledger by our
        reference: that job's request went under another idempotency key than this one's. Clients of providers
        with keys override this; None: there is none, create it."""
        return None

    def _split_creates(self, docs: list, build) -> tuple[list[Outcome | None], list[tuple[int, object, object]]]:
        """The first step of a batch client's ``publish_many``: updates are published one by one now, a document
        an earlier job made is found again, and each other create becomes ``(index, doc, build(doc))`` for the
        batch request. A ValidationError raised by any is that document's own outcome; the outcomes of the creates
        are left to fill in."""
        outcomes: list[Outcome | None] = [None] * len(docs)
        creates = []
        for index, doc in enumerate(docs):
            try:
                if doc.external_id:
                    outcomes[index] = self.publish(doc)
                elif doc.sent_before and (found := self.earlier_document(doc)) is not None:
                    outcomes[index] = found
                else:
                    creates.append((index, doc, build(doc)))
            except ValidationError as exc:
                outcomes[index] = exc
        return outcomes, creates

    def is_auth_failure(self, response: httpx.Response) -> bool:
        return response.status_code == 401

    def lost_access(self, response: httpx.Response) -> AccessLost | None:
        """The error of an answer saying the organisation took our access away (no refresh can help), or None."""
        return None

    def send(self, method: str, url: str, *, headers: dict | None = None, **kwargs) -> httpx.Response:
        """One HTTP call; every failure becomes AuthError, ProviderRateLimited, TransientError or ValidationError."""
        try:
            response = shared_http_client().request(method, url, headers=headers or {}, **kwargs)
        except httpx.TimeoutException:
            raise TransientError(f"{self.provider_name} did not answer in time.") from None
        except httpx.HTTPError as exc:
            raise TransientError(f"Could not reach {self.provider_name} ({exc.__class__.__name__}).") from None
        if response.status_code == 429:
            raise ProviderRateLimited(f"{self.provider_name} asked us to slow down.", retry_after_seconds(response))
        if (lost := self.lost_access(response)) is not None:
            raise lost
        if self.is_auth_failure(response):
            raise AuthError(f"{self.provider_name} refused our authorisation.")
        if response.status_code >= 500:
            raise TransientError(f"{self.provider_name} had a problem ({response.status_code}).")
        if response.status_code >= 400:
            raise ValidationError(self.validation_message(response))
        return response


class OAuthProviderClient(HttpProviderClient):
    """An HTTP client that sends a bearer token, refreshing once when the provider says it expired. Every request
    counts against the connection's calls a minute (and day): under a metered slot the HTTP hook spends the slot's
    reserved calls, outside one :func:`integrations.ratelimit.call_count` takes a place; look-ups, creates,
    attachments and list pages alike, as the provider counts them."""

    def extra_headers(self) -> dict:
        return {}

    def count_call(self) -> None:
        """One request of this connection, counted in its minute (OwnLimitReached when the minute is spent)."""
        from integrations.providers import registry

        provider = registry.get(self.connection.provider)
        ratelimit.call_count(
            connection_id=self.connection.pk, per_minute=provider.rate_limit_per_minute, day_limit=provider.day_limit
        )

    def call(self, method: str, url: str, *, headers: dict | None = None, **kwargs) -> httpx.Response:
        token = tokens.access_token(self.connection)
        self.count_call()
        try:
            return self.send(method, url, headers={**self._headers(token), **(headers or {})}, **kwargs)
        except AccessLost:
            raise
        except AuthError:
            # An access token can die before its expiry (revoked, rotated elsewhere): refresh once.
            token = tokens.refresh(self.connection, stale_access_token=token)
            self.count_call()
            return self.send(method, url, headers={**self._headers(token), **(headers or {})}, **kwargs)

    def _headers(self, token: str) -> dict:
        return {"Authorization": f"Bearer {token}", "Accept": "application/json", **self.extra_headers()}
