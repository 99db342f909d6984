"""Celery tasks of the integrations app: ids in, JSON only; each calls a service."""

from celery import shared_task


@shared_task(name="integrations.purge_oauth_states", ignore_result=True)
def purge_oauth_states() -> int:
    from integrations.services import oauth_states_purge

    return oauth_states_purge()


# The list sync's tasks live with the lists; importing them here registers them with Celery's autodiscovery.
from integrations.lists.tasks import sync_lists, sync_lists_due  # noqa: E402, F401
