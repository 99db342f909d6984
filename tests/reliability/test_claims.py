"""A claim must not be skipped because some other row of the job (its connection, its item's neighbours)
is locked: a skipped claim drops the task message, and the job then waits for the sweeper."""

import threading

import pytest
from django.db import connection as db
from django.db import transaction

from integrations.models import Connection
from publishing.models import PublishJob, PublishJobStatus
from publishing.pipeline import items_publish
from publishing.worker import _claim
from tests.reliability.rig import seed_items

pytestmark = pytest.mark.reliability


def test_a_locked_connection_row_does_not_make_a_claim_skip_the_job(transactional_db, world, connect, monkeypatch):
    monkeypatch.setattr("publishing.pipeline._send", lambda ids, queue: None)
    xero = connect(world.a, "xero")
    [item] = seed_items(world.a, 1, provider="xero")
    items_publish(business=world.a, item_ids=[item.pk], actor=None)
    job = PublishJob.objects.for_business(world.a).get()
    locked, release = threading.Event(), threading.Event()

    def hold_connection_row() -> None:
        """What another worker's claim or record, or a token refresh saving the connection, does meanwhile."""
        try:
            with transaction.atomic():
                Connection.objects.for_business(world.a).select_for_update().get(pk=xero.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            db.close()

    holder = threading.Thread(target=hold_connection_row)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        claimed, leftover = _claim([job.pk])
    finally:
        release.set()
        holder.join(timeout=30)
    assert [j.pk for j in claimed] == [job.pk], "the job was skipped: its task message would have been dropped"
    assert leftover == []
    job.refresh_from_db()
    assert job.status == PublishJobStatus.CLAIMED and job.attempts == 1
