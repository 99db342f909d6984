"""The work queue the Web Connector drains: an interface the publishing pipeline implements.

The SOAP service knows nothing about items or jobs. On each poll it asks the registered work source
for the next qbXML request of *that* connection, remembers the ``request_key`` it was given, and
hands QuickBooks' answer back with that key. Publishing registers its source once, at start-up::

    # publishing/apps.py
    def ready(self):
        from integrations.qbwc.queue import set_work_source
        set_work_source(PublishingWebConnectorWork())

Rules for a source:
- Every method gets the connection the Web Connector signed in as; return and apply work of that
  connection's business only (``connection.business_id``). The service never passes a request key
  to a connection other than the one it was handed out for.
- Delivery is at least once: a request handed out may never be answered (the PC goes off, QuickBooks
  fails). Hand it out again on a later call, and make adds safe to repeat (query by vendor and
  RefNumber before ``BillAdd``; qbXML has no idempotency key).
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
        """Record QuickBooks' qbXML response; return a message for the user if it is an error, else ``None``."""

    def request_failed(self, connection: Connection, request_key: str, error: str) -> None:
        """QuickBooks returned no response at all (an HRESULT error, e.g. it could not parse the request)."""

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


_source: WebConnectorWork = NoWork()


def set_work_source(source: WebConnectorWork | None) -> None:
    """Register the work source (``None`` puts back the default that has no work)."""
    global _source
    _source = source if source is not None else NoWork()


def get_work_source() -> WebConnectorWork:
    return _source


@contextmanager
def use_work_source(source: WebConnectorWork) -> Iterator[WebConnectorWork]:
    """Register ``source`` for the length of a ``with`` block (tests), then put the previous one back."""
    previous = _source
    set_work_source(source)
    try:
        yield source
    finally:
        set_work_source(previous)
