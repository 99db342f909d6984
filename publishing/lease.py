"""Keeping a batch's lease while its worker is still calling the provider (DESIGN.md §6).

A claim leases its jobs for ``PUBLISH_LEASE_SECONDS``; the sweeper hands jobs whose lease expired to another
worker, which is right when the first one died and wrong when it is merely slow. A provider call can outlast
the lease (a Bill.com bulk create of a hundred bills with their attachments), and Bill.com has no
idempotency key: a second worker would look for the bills before the slow request had made them, find none,
and make them again. So while the call runs, a thread renews the lease every third of it; it stops when the
call ends, or when the worker dies (and then the lease runs out, as it should).

A renewal touches only jobs still claimed under the lease this worker holds: a job cancelled meanwhile
(its integration disconnected), or claimed again by someone else after a renewal came too late, is left alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import suppress
from datetime import timedelta

from django.conf import settings
from django.db import DatabaseError, connections
from django.utils import timezone

from publishing.models import PublishJob, PublishJobStatus

log = logging.getLogger(__name__)


class LeaseKeeper:
    """``with LeaseKeeper(batch) as keeper:`` around a provider call; ``keeper.also(renew)`` adds something to
    renew with the lease (the connection's rate-limit slot), called with the lease's length in seconds."""

    def __init__(self, batch: list[PublishJob]):
        self.business_id = batch[0].business_id
        self.job_ids = [job.pk for job in batch]
        self.lease = batch[0].lease_expires_at  # one lease for the batch: the claim wrote it
        self.seconds = settings.PUBLISH_LEASE_SECONDS
        self.renewals = 0
        self._also: list[Callable[[float], None]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="publish-lease", daemon=True)

    def also(self, renew: Callable[[float], None]) -> None:
        self._also.append(renew)

    def __enter__(self) -> LeaseKeeper:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=30)  # at most one short UPDATE in progress

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.seconds / 3):
                if not self.renew():
                    return  # nothing of ours is left to keep
        finally:
            connections.close_all()  # this thread's own database connection

    def renew(self) -> bool:
        """Extend the lease of the jobs still ours; False when none is."""
        until = timezone.now() + timedelta(seconds=self.seconds)
        try:
            kept = (
                PublishJob.objects.for_business(self.business_id)
                .filter(pk__in=self.job_ids, status=PublishJobStatus.CLAIMED, lease_expires_at=self.lease)
                .update(lease_expires_at=until)
            )
        except DatabaseError:
            log.warning("publish lease not renewed", exc_info=True, extra={"jobs": len(self.job_ids)})
            connections.close_all()  # a broken connection is opened again at the next try
            return True
        if not kept:
            return False
        self.lease = until
        self.renewals += 1
        for renew in self._also:
            with suppress(Exception):  # a counter in Redis: never worth failing the call over
                renew(self.seconds)
        return True
