"""Writes and reads about a connection's lists that the pages, the API and the tasks share."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from integrations.lists.models import ConnectionLists, ListKind, ListSyncStatus
from integrations.lists.sync import lists_sync_begin
from integrations.models import LIVE_STATUSES, Connection, ConnectionStatus, ProviderKind
from integrations.providers import registry


def list_kinds_of(connection: Connection) -> tuple[ListKind, ...]:
    """The lists this connection's provider keeps (none: its items are coded in words, or against the main
    ledger's lists — ApprovalMax)."""
    return registry.get(connection.provider).list_kinds


def lists_refresh(*, connection: Connection, full: bool = False) -> ConnectionLists:
    """Sync now: the run starts (or goes on, when one is under way) and its task is sent on commit."""
    from integrations.lists.tasks import sync_lists

    with transaction.atomic():
        state = lists_sync_begin(connection=connection, full=full)
        transaction.on_commit(lambda: sync_lists.apply_async(args=[str(connection.pk)], queue="lists"))
    return state


def lists_state(connection: Connection) -> dict:
    """The ``lists`` block of a connection in the API (API.md). A connection never synced yet is syncing (the
    sweeper starts it); one whose items are coded against the main ledger's lists (ApprovalMax) answers those."""
    provider = registry.get(connection.provider)
    if not provider.list_kinds:
        main = None
        if provider.lists_from_main:
            mains = Connection.objects.for_business(connection.business_id).filter(kind=ProviderKind.MAIN)
            main = mains.filter(status__in=LIVE_STATUSES).first()
        if main is None:
            return {"status": ListSyncStatus.READY.value, "synced_at": None, "counts": {}, "error": None}
        connection = main
    state = ConnectionLists.objects.for_business(connection.business_id).filter(connection=connection).first()
    if state is None:
        return {"status": ListSyncStatus.SYNCING.value, "synced_at": None, "counts": {}, "error": None}
    return {
        "status": state.status,
        "synced_at": state.synced_at,
        "counts": dict(state.counts),
        "error": state.error or None,
    }


PAGES_PER_TASK = 50  # then the task sends itself again, so one big chart does not hold a worker for long


def lists_sync_continue(*, connection_id) -> float | None:
    """One task's share of a connection's run: answers the seconds until the next share, None when it ended."""
    from integrations.lists.sync import lists_sync_step
    from integrations.ratelimit import provider_slot

    connection = Connection.objects.unscoped().filter(pk=connection_id).first()
    if connection is None or not connection.is_live:
        return None
    provider = registry.get(connection.provider)
    source = provider.list_source(connection)
    if source is None:
        return None

    def slot():
        # One page, one call; metered: a page that takes more requests (a refresh, a second look) counts them all.
        return provider_slot(
            connection_id=connection.pk,
            per_minute=provider.rate_limit_per_minute,
            concurrent=provider.max_concurrent,
            day_limit=provider.day_limit,
            metered=True,
        )

    return lists_sync_step(connection=connection, source=source, slot=slot, max_pages=PAGES_PER_TASK).again


def lists_sync_due(*, limit: int = 500) -> int:
    """Start a run for every active connection whose lists are due: never synced, older than LISTS_SYNC_EVERY_HOURS,
    a run that stopped moving (its worker died, its message was lost), or a failed run an hour on. Answers how many
    were started. (A connection that needs a reconnect syncs again once it is reconnected.)"""
    now = timezone.now()
    stale = now - timedelta(hours=settings.LISTS_SYNC_EVERY_HOURS)
    stalled = now - timedelta(seconds=settings.LISTS_STALLED_SECONDS)
    due = (
        Connection.objects.unscoped()
        .filter(status=ConnectionStatus.ACTIVE)
        .filter(
            Q(lists_state__isnull=True)
            | Q(lists_state__status=ListSyncStatus.SYNCING, lists_state__updated_at__lt=stalled)
            | Q(lists_state__status=ListSyncStatus.READY, lists_state__synced_at__lt=stale)
            | Q(lists_state__status=ListSyncStatus.READY, lists_state__synced_at__isnull=True)
            | Q(lists_state__status=ListSyncStatus.FAILED, lists_state__updated_at__lt=now - timedelta(hours=1))
        )
        .order_by("pk")[:limit]
    )
    started = 0
    for connection in due:
        if list_kinds_of(connection):
            lists_refresh(connection=connection)
            started += 1
    return started


def lists_sync_inline(*, connection: Connection, max_steps: int = 500) -> ConnectionLists | None:
    """Run a full sync of the connection's lists here and now, step after step, through the same engine and
    rate-limit slots as the task, waiting out any limit it meets (the demo seeder: its lists are in before its items
    are coded). A provider whose software fetches the work (QuickBooks Desktop) cannot be synced so: None."""
    import time

    from integrations.lists.sync import lists_sync_step
    from integrations.ratelimit import provider_slot

    provider = registry.get(connection.provider)
    source = provider.list_source(connection) if provider.list_kinds else None
    if source is None:
        return None

    def slot():
        # One page, one call; metered: a page that takes more requests (a refresh, a second look) counts them all.
        return provider_slot(
            connection_id=connection.pk,
            per_minute=provider.rate_limit_per_minute,
            concurrent=provider.max_concurrent,
            day_limit=provider.day_limit,
            metered=True,
        )

    lists_sync_begin(connection=connection, full=True)
    for _ in range(max_steps):
        again = lists_sync_step(connection=connection, source=source, slot=slot).again
        if again is None:
            break
        time.sleep(min(again, 5.0))
    return ConnectionLists.objects.for_business(connection.business_id).get(connection=connection)
