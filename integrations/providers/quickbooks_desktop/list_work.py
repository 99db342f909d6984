"""The list sync of QuickBooks Desktop connections, as a source of Web Connector work (integrations.qbwc.queue).

The sync engine cannot call QuickBooks: while a connection's run is under way (integrations.lists.sync), each poll of
its Web Connector is handed the query of the page the run waits for, before any publishing work, and QuickBooks'
answer is given back to the engine as a Page. A refused query ends the run (the lists stay as they were, the
Connections page says why); it never ends the Web Connector's session, which goes on with publishing.
"""

from __future__ import annotations

import logging

from integrations.lists.models import ConnectionLists, ListSyncStatus
from integrations.lists.sync import (
    lists_page_received,
    lists_page_wanted,
    lists_pass_restart,
    lists_sync_failed,
)
from integrations.providers import registry
from integrations.providers.quickbooks_desktop import lists, qbxml

log = logging.getLogger(__name__)


def _key(index: int, page: str | None) -> str:
    return f"{index}:{page or ''}"


def _parse_key(request_key: str) -> tuple[int, str | None]:
    index, _, page = request_key.partition(":")
    return int(index), page or None


class QuickBooksDesktopListWork:
    """Hands out the list queries of a connection's run under way, and gives the answers to the sync."""

    def _syncs_by_pull(self, connection) -> bool:
        provider = registry.get(connection.provider)
        return bool(provider.list_passes) and provider.waits_for_pull and provider.list_source(connection) is None

    def next_request(self, connection):
        if not self._syncs_by_pull(connection):
            return None
        wanted = lists_page_wanted(connection=connection)
        if wanted is None:
            return None
        request = lists.list_request(
            wanted.source_pass.fetch, page=wanted.page, since=wanted.since, request_id=f"lists-{wanted.index}"
        )
        return _key(wanted.index, wanted.page), request

    def _wanted(self, connection, request_key: str):
        """The page the run waits for, if ``request_key`` asked for it (else the answer is an old one: dropped)."""
        index, page = _parse_key(request_key)
        wanted = lists_page_wanted(connection=connection)
        if wanted is None or (wanted.index, wanted.page) != (index, page):
            return None
        return wanted

    def apply_response(self, connection, request_key: str, response_xml: str) -> str | None:
        wanted = self._wanted(connection, request_key)
        if wanted is None:
            return None
        kind = wanted.source_pass.fetch
        try:
            page = lists.read_list_response(kind, page=wanted.page, response=response_xml)
        except lists.IteratorLost:
            lists_pass_restart(connection=connection, source_pass=wanted.source_pass)
            return None
        except lists.ListRefused as refused:
            self._failed(connection, f"QuickBooks Desktop refused to list its {kind.label.lower()}: {refused.message}")
            return None
        except qbxml.QBXMLError as exc:
            self._failed(connection, f"QuickBooks Desktop's list of {kind.label.lower()} could not be read: {exc}")
            return None
        lists_page_received(connection=connection, source_pass=wanted.source_pass, page=page, asked=wanted.page)
        return None

    def request_failed(self, connection, request_key: str, error: str) -> None:
        if self._wanted(connection, request_key) is not None:
            self._failed(connection, error)

    def remaining(self, connection) -> int:
        if not self._syncs_by_pull(connection):
            return 0
        state = (
            ConnectionLists.objects.for_business(connection.business_id)
            .filter(connection=connection, status=ListSyncStatus.SYNCING)
            .only("progress")
            .first()
        )
        if state is None or not state.progress:
            return 0
        return max(0, len(registry.get(connection.provider).list_passes) - state.progress.get("index", 0))

    def _failed(self, connection, message: str) -> None:
        log.info("QuickBooks Desktop list sync failed", extra={"connection": str(connection.pk)})
        lists_sync_failed(connection=connection, message=message)
