"""Celery tasks of the list sync: ids in; each calls a service and returns early if the row is gone."""

from celery import shared_task


@shared_task(name="integrations.sync_lists", acks_late=True, ignore_result=True)
def sync_lists(connection_id: str) -> None:
    """Carry a connection's list sync on; it sends itself again (after a limit's wait) until the run ends."""
    from integrations.lists.services import lists_sync_continue

    again = lists_sync_continue(connection_id=connection_id)
    if again is not None:
        sync_lists.apply_async(args=[connection_id], countdown=max(0.0, again), queue="lists")


@shared_task(name="integrations.sync_lists_due", ignore_result=True)
def sync_lists_due() -> int:
    """Beat: start the syncs that are due (every LISTS_SYNC_EVERY_HOURS, never synced, or stalled)."""
    from integrations.lists.services import lists_sync_due

    return lists_sync_due()
