"""The work queue the Web Connector drains: sources of work, asked in order, that other parts implement.

The SOAP service knows nothing about items, jobs or lists. On each poll it asks the registered work sources, in
their order, for the next qbXML request of *that* connection, remembers the ``request_key`` it was given, and hands
QuickBooks' answer back with that key to the source that handed the request out. The list sync (its QuickBooks
Desktop source, registered by this app) comes first, so that a document is coded against fresh lists; publishing
comes next. Each registers once, at start-up::

    # publishing/apps.py
    def ready(self):
        from integrations.qbwc.queue import PUBLISHING, register_work_source
        register_work_source(PUBLISHING, PublishingWebConnectorWork())

Rules for a source:
- Every method gets the connection the Web Connector signed in as; return and apply work of that
  connection's business only (``connection.business_id``). The service never passes a request key
  to a connection other than the one it was handed out for.
- Delivery is at least once: a request handed out may never be answered (the PC goes off, QuickBooks
  fails). Hand it out again on a later call, and make adds safe to repeat (query by vendor and
  RefNumber before ``BillAdd``; qbXML has no idempotency key).
- A request QuickBooks refuses (a status code of 1000 or more, or a request it could not parse) is the failure of
  the work it was for: record it there and carry on; the session goes on with the next request. Only a failure of
  the session itself (the source cannot work at all) is returned as a message, and ends the Web Connector's run.
- ``apply_response`` and ``request_failed`` run inside the service's transaction; do not call out
  to other services from them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from integrations.models import Connection


class WebConnectorWork(Protocol):
    def next_request(self, connection: Connection) -> tuple[str, str] | None:
        """The next ``(request_key, qbXML request)`` for this connection, or ``None`` when there is none.

        ``request_key`` is opaque to the service (at most 255 characters), e.g. a publish job id.
        """

    def apply_response(self, connection: Connection, request_key: str, response_xml: str) -> str | None:
        """Record QuickBooks' qbXML response, a refusal included; return a message only when the session cannot go
        on (it ends the Web Connector's run, and ``getLastError`` shows the message), else ``None``."""

    def request_failed(self, connection: Connection, request_key: str, error: str) -> None:
        """QuickBooks returned no response because it could not parse the request (an HRESULT): the work's failure."""

    def remaining(self, connection: Connection) -> int:
        """How many requests are still waiting for this connection (drives the percent done)."""


class NoWork:
    """The default source: nothing is ever queued."""

    def next_request(self, connection: Connection) -> tuple[str, str] | None:
        return None

    def apply_response(self, connection: Connection, request_key: str, response_xml: str) -> str | None:
        return f"No work source is registered to receive the response to {request_key!r}."

    def request_failed(self, connection: Connection, request_key: str, error: str) -> None:
        return None

    def remaining(self, connection: Connection) -> int:
        return 0


LISTS, PUBLISHING = "lists", "publishing"
ORDER = (LISTS, PUBLISHING)  # the order sources are asked in; a name not listed here comes after these


class WorkSources:
    """The registered sources as one: asks them in order; a request key carries its source's name."""

    def __init__(self, sources: dict[str, WebConnectorWork]):
        rank = {name: index for index, name in enumerate(ORDER)}
        self.sources = dict(sorted(sources.items(), key=lambda item: rank.get(item[0], len(ORDER))))

    def next_request(self, connection: Connection) -> tuple[str, str] | None:
        for name, source in self.sources.items():
            work = source.next_request(connection)
            if work is not None:
                return f"{name}:{work[0]}", work[1]
        return None

    def _route(self, request_key: str) -> tuple[WebConnectorWork | None, str]:
        name, _, key = request_key.partition(":")
        return self.sources.get(name), key

    def apply_response(self, connection: Connection, request_key: str, response_xml: str) -> str | None:
        source, key = self._route(request_key)
        if source is None:
            return f"No work source is registered to receive the response to {request_key!r}."
        return source.apply_response(connection, key, response_xml)

    def request_failed(self, connection: Connection, request_key: str, error: str) -> None:
        source, key = self._route(request_key)
        if source is not None:
            source.request_failed(connection, key, error)

    def remaining(self, connection: Connection) -> int:
        return sum(source.remaining(connection) for source in self.sources.values())


_sources: dict[str, WebConnectorWork] = {}


def register_work_source(name: str, source: WebConnectorWork | None) -> None:
    """Register ``source`` under ``name`` (one of ORDER; ``None`` takes it away again)."""
    if ":" in name:
        raise ValueError("A work source's name cannot contain ':'.")
    if source is None:
        _sources.pop(name, None)
    else:
        _sources[name] = source


def set_work_source(source: WebConnectorWork | None) -> None:
    """Make ``source`` the only one (``None``: none, so there is never any work)."""
    _sources.clear()
    if source is not None:
        _sources["work"] = source


def get_work_source() -> WebConnectorWork:
    """Every registered source, as one."""
    return WorkSources(_sources) if _sources else NoWork()


@contextmanager
def use_work_source(source: WebConnectorWork) -> Iterator[WebConnectorWork]:
    """Make ``source`` the only one for the length of a ``with`` block (tests), then put the previous ones back."""
    previous = dict(_sources)
    set_work_source(source)
    try:
        yield source
    finally:
        _sources.clear()
        _sources.update(previous)
