"""Syncing a connection's lists (DESIGN.md §9), a page at a time, within the connection's rate limits.

A sync is a run of passes (:class:`~integrations.lists.source.Pass`), each walked page by page. Every page is one
provider call made while holding one of the connection's rate-limit slots (the ones publishing takes, so the two
share the provider's limits), and is upserted in bulk in its own short transaction. Where the run stands is kept in
``ConnectionLists.progress``, so a run that meets a limit stops and its task carries on from there later, and a
run whose worker died is picked up again by the sweeper. A pass that asked for everything (a full pass) marks the
entries it did not see inactive: gone from the ledger, kept for the items coded with them. An incremental pass
(``since`` the last one, where the provider can say what changed) sees changes only, so a full pass runs at least
every ``LISTS_FULL_SYNC_DAYS``. A failed run leaves the lists as they were and says why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from integrations import events
from integrations.lists.models import ConnectionLists, ListEntry, ListKind, ListSyncStatus
from integrations.lists.source import ListSource, Page, Pass
from integrations.models import Connection
from integrations.providers.base import AuthError, ProviderError, RateLimited, TransientError

log = logging.getLogger(__name__)

UPSERT_FIELDS = ["code", "name", "kind_detail", "usage", "rate", "active", "extra", "seen_at", "updated_at"]
MAX_TRANSIENT_FAILURES = 5


@dataclass(frozen=True)
class Step:
    """What one step of a sync did: ``again`` is the seconds until the next step, None when the run ended."""

    again: float | None
    pages: int = 0


def _state(connection: Connection, *, lock: bool = False) -> ConnectionLists:
    rows = ConnectionLists.objects.for_business(connection.business_id)
    if lock:
        rows = rows.select_for_update()
    state = rows.filter(connection=connection).first()
    if state is None:
        ConnectionLists.objects.bulk_create(
            [ConnectionLists(business_id=connection.business_id, connection=connection, status=ListSyncStatus.READY)],
            ignore_conflicts=True,
        )
        state = rows.get(connection=connection)
    return state


def lists_sync_begin(*, connection: Connection, full: bool = False) -> ConnectionLists:
    """Start a run (the caller sends the task on commit). A run already under way is left to finish."""
    with transaction.atomic():
        state = _state(connection, lock=True)
        if state.status == ListSyncStatus.SYNCING and state.progress and not _stalled(state):
            return state
        state.status = ListSyncStatus.SYNCING
        state.started_at = timezone.now()
        state.error = ""
        state.progress = {"index": 0, "open": False, "page": None, "full": full, "failures": 0}
        state.save()
    return state


def _stalled(state: ConnectionLists) -> bool:
    return state.updated_at < timezone.now() - timedelta(seconds=settings.LISTS_STALLED_SECONDS)


def _since(state: ConnectionLists, kind: ListKind, *, full: bool, incremental: bool) -> datetime | None:
    """Where an incremental pass starts (a few minutes before the last pass began: the provider's clock is not
    ours), or None for a full pass: asked for, never done, not possible for this list, or due (deletions show
    only in a full pass)."""
    cursor = state.cursors.get(kind.value) or {}
    if full or not incremental or not cursor.get("since") or not cursor.get("full_at"):
        return None
    if datetime.fromisoformat(cursor["full_at"]) < timezone.now() - timedelta(days=settings.LISTS_FULL_SYNC_DAYS):
        return None
    return datetime.fromisoformat(cursor["since"]) - timedelta(minutes=5)


def _upsert(connection: Connection, page: Page, seen_at: datetime) -> None:
    rows = {}
    for entry in page.entries:  # the last word on one id wins (a page may repeat an entry)
        rows[(entry.kind, entry.external_id)] = ListEntry(
            business_id=connection.business_id,
            connection=connection,
            kind=entry.kind,
            external_id=entry.external_id[:255],
            code=entry.code[:255],
            name=(entry.name or entry.code or entry.external_id)[:255],
            kind_detail=entry.kind_detail[:60],
            usage=entry.usage,
            rate=entry.rate,
            active=entry.active,
            extra=entry.extra,
            seen_at=seen_at,
            updated_at=seen_at,
        )
    if rows:
        ListEntry.objects.bulk_create(
            list(rows.values()),
            update_conflicts=True,
            unique_fields=["connection", "kind", "external_id"],
            update_fields=UPSERT_FIELDS,
            batch_size=1000,
        )


def _vanished(connection: Connection, kinds, run_started: datetime) -> int:
    """After a full pass: what the ledger no longer has is inactive (never deleted: items keep their coding)."""
    return (
        ListEntry.objects.for_business(connection.business_id)
        .filter(connection=connection, kind__in=kinds, active=True, seen_at__lt=run_started)
        .update(active=False, updated_at=timezone.now())
    )


def list_counts(*, connection: Connection) -> dict[str, int]:
    """Active entries of each list the connection has."""
    rows = (
        ListEntry.objects.for_business(connection.business_id)
        .filter(connection=connection)
        .values("kind")
        .annotate(n=Count("id", filter=Q(active=True)))
    )
    return {row["kind"]: row["n"] for row in rows}


def lists_sync_step(*, connection: Connection, source: ListSource, slot, max_pages: int | None = None) -> Step:
    """Carry the connection's run on: pages until it ends, a limit is met, or ``max_pages`` were fetched.

    ``slot()`` is a context manager holding one of the connection's rate-limit slots for one provider call (it
    raises RateLimited when none is free). Answers when to come back (None: the run is over, done or failed)."""
    state = _state(connection)
    if state.status != ListSyncStatus.SYNCING or not state.progress:
        return Step(again=None)
    progress = dict(state.progress)
    passes = source.passes
    pages = 0
    while progress["index"] < len(passes):
        current = passes[progress["index"]]
        if not progress.get("open"):
            _open_pass(state, progress, current)
        since = datetime.fromisoformat(progress["since"]) if progress.get("since") else None
        if max_pages is not None and pages >= max_pages:
            _save_progress(connection, progress)
            return Step(again=0.0, pages=pages)
        try:
            with slot():
                page = source.fetch(current.fetch, page=progress["page"], since=since)
        except RateLimited as exc:
            _save_progress(connection, progress)
            return Step(again=exc.retry_after if exc.retry_after is not None else 1.0, pages=pages)
        except TransientError as exc:
            progress["failures"] = progress.get("failures", 0) + 1
            if progress["failures"] >= MAX_TRANSIENT_FAILURES:
                _fail(connection, exc.message)
                return Step(again=None, pages=pages)
            _save_progress(connection, progress)
            return Step(again=min(300.0, 2.0 ** progress["failures"]), pages=pages)
        except AuthError as exc:
            _fail(connection, exc.message)
            return Step(again=None, pages=pages)
        except ProviderError as exc:
            _fail(connection, exc.message)
            return Step(again=None, pages=pages)
        pages += 1
        with transaction.atomic():
            _page_done(connection, state, progress, current, page)
    _finish(connection)
    events.lists_synced(connection=connection)  # the items coded against these lists are judged again
    return Step(again=None, pages=pages)


def _open_pass(state: ConnectionLists, progress: dict, current: Pass) -> None:
    """Start walking ``current``: from its first page, asking only for what changed when it can (``progress``
    changes in place; the caller saves it)."""
    since = _since(state, current.fetch, full=progress["full"], incremental=current.incremental)
    progress.update(open=True, page=None, since=since.isoformat() if since else None, at=timezone.now().isoformat())


def _page_done(connection: Connection, state: ConnectionLists, progress: dict, current: Pass, page: Page) -> None:
    """Store a page of the pass under way and move ``progress`` on (to its next page, or past the pass, marking
    what a full pass did not see as vanished and setting the pass's cursors). Saves; inside a transaction."""
    since = progress.get("since")
    _upsert(connection, page, seen_at=timezone.now())
    if page.next is not None:
        progress.update(page=page.next, failures=0)
        _save_progress(connection, progress)
        return
    pass_at = datetime.fromisoformat(progress["at"])
    if since is None:
        _vanished(connection, current.gives, pass_at)
    cursors = dict(state.cursors)
    for kind in current.gives:
        cursor = dict(cursors.get(kind.value) or {})
        cursor["since"] = pass_at.isoformat()
        if since is None:
            cursor["full_at"] = pass_at.isoformat()
        cursors[kind.value] = cursor
    progress.update(index=progress["index"] + 1, open=False, page=None, since=None, failures=0)
    ConnectionLists.objects.for_business(connection.business_id).filter(connection=connection).update(
        cursors=cursors, progress=progress, updated_at=timezone.now()
    )
    state.cursors = cursors


def _save_progress(connection: Connection, progress: dict) -> None:
    ConnectionLists.objects.for_business(connection.business_id).filter(connection=connection).update(
        progress=progress, updated_at=timezone.now()
    )


def _finish(connection: Connection) -> None:
    now = timezone.now()
    ConnectionLists.objects.for_business(connection.business_id).filter(connection=connection).update(
        status=ListSyncStatus.READY,
        synced_at=now,
        error="",
        progress={},
        counts=list_counts(connection=connection),
        updated_at=now,
    )


def _fail(connection: Connection, message: str, *, auth: bool = False) -> None:
    """The run ends; the lists stay as the last good sync left them, and the Connections page says why."""
    log.warning("list sync failed", extra={"connection": str(connection.pk), "detail": message})
    ConnectionLists.objects.for_business(connection.business_id).filter(connection=connection).update(
        status=ListSyncStatus.FAILED, error=message[:1000], progress={}, updated_at=timezone.now()
    )


# --- providers whose software fetches the work (pull: QuickBooks Desktop's Web Connector) ---------------------------
# The engine cannot call such a provider: the provider's software asks for the next request when it next runs. So
# the run stands still until then; its work source asks what page the run wants (lists_page_wanted), hands the
# request out, and gives the answer back as a Page (lists_page_received), with the same effect as a page fetched in
# lists_sync_step: upsert, progress, vanished entries at the end of a full pass, the end of the run.


@dataclass(frozen=True)
class WantedPage:
    """The page a run waits for: of the pass at ``index`` (``source_pass``), its provider token ``page`` (None: the
    first), asking only for what changed since ``since`` (None: everything)."""

    index: int
    source_pass: Pass
    page: str | None
    since: datetime | None


def _passes_of(connection: Connection) -> tuple[Pass, ...]:
    from integrations.providers import registry

    return tuple(registry.get(connection.provider).list_passes)


def lists_page_wanted(*, connection: Connection) -> WantedPage | None:
    """The page the connection's run waits for (opening its pass when it starts), or None when no run is under way.
    Locks the run's row until the caller's transaction ends."""
    passes = _passes_of(connection)
    with transaction.atomic():
        state = _state(connection, lock=True)
        if state.status != ListSyncStatus.SYNCING or not state.progress:
            return None
        progress = dict(state.progress)
        if progress["index"] >= len(passes):
            _finish(connection)
            return None
        current = passes[progress["index"]]
        if not progress.get("open"):
            _open_pass(state, progress, current)
            _save_progress(connection, progress)
        since = datetime.fromisoformat(progress["since"]) if progress.get("since") else None
        return WantedPage(index=progress["index"], source_pass=current, page=progress.get("page"), since=since)


def lists_page_received(*, connection: Connection, source_pass: Pass, page: Page, asked: str | None = None) -> bool:
    """Store the provider's answer to the page the run waits for, and move the run on (ending it after the last
    pass). ``asked`` is the page token the answer is for; an answer to any other page, or to another pass than
    the one under way (a run started again meanwhile), is dropped: answers False."""
    passes = _passes_of(connection)
    with transaction.atomic():
        state = _state(connection, lock=True)
        progress = dict(state.progress or {})
        if state.status != ListSyncStatus.SYNCING or not progress.get("open") or progress["index"] >= len(passes):
            return False
        if passes[progress["index"]] != source_pass or progress.get("page") != asked:
            return False
        _page_done(connection, state, progress, source_pass, page)
        if progress["index"] >= len(passes):
            _finish(connection)
            events.lists_synced(connection=connection)  # the items coded against these lists are judged again
    return True


def lists_pass_restart(*, connection: Connection, source_pass: Pass) -> None:
    """Walk the pass under way again from its first page (the provider forgot where it was: QuickBooks' iterators
    live only as long as its session). What the pass saw so far stays seen."""
    passes = _passes_of(connection)
    with transaction.atomic():
        state = _state(connection, lock=True)
        progress = dict(state.progress or {})
        under_way = state.status == ListSyncStatus.SYNCING and progress.get("open")
        if under_way and progress["index"] < len(passes) and passes[progress["index"]] == source_pass:
            progress.update(page=None)
            _save_progress(connection, progress)


def lists_sync_failed(*, connection: Connection, message: str) -> None:
    """The provider refused a list request: the run ends, the lists stay as the last good sync left them."""
    state = _state(connection)
    if state.status == ListSyncStatus.SYNCING:
        _fail(connection, message)
