"""The publish pipeline: an outbox of publish jobs, claimed by Celery workers (DESIGN.md §6)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Business, User
from integrations.models import LIVE_STATUSES, Connection
from integrations.providers import registry
from integrations.providers.base import AuthKind
from publishing.coding import coding_context, item_problems
from publishing.models import IN_FLIGHT_STATES, Item, ItemHistory, ItemState, PublishJob, PublishJobStatus

log = logging.getLogger(__name__)

QUEUES = ("publish_interactive", "publish_bulk")


@dataclass
class BulkResult:
    updated: int = 0
    errors: list[dict] = field(default_factory=list)

    def refuse(self, item_id, code: str, detail: str, **extra) -> None:
        self.errors.append({"id": str(item_id), "code": code, "detail": detail, **extra})


def idempotency_key(item: Item, connection_id) -> str:
    """Stable for one item in one ledger, so a replay after a crash finds the first document."""
    return uuid.uuid5(item.pk, str(connection_id)).hex


def _send(job_ids: list[str], queue: str) -> None:
    """One task message for these jobs (of one connection, at most one batch of its provider)."""
    from publishing.tasks import publish_jobs

    publish_jobs.apply_async(args=[job_ids], queue=queue)


def batch_size(provider_key: str) -> int:
    """Jobs one worker takes at once for a connection: what one create request of its provider carries, capped
    by ``PUBLISH_BATCH_MAX`` (1 turns batching off, should a provider's batch endpoint misbehave)."""
    return max(1, min(registry.get(provider_key).batch_size, settings.PUBLISH_BATCH_MAX))


def _attachment_too_big(item: Item, provider) -> str:
    """A file over the provider's limit is refused before publishing (it would make a document without it)."""
    limit = provider.max_attachment_bytes
    if not limit or not item.attachment:
        return ""
    try:
        size = item.attachment.size
    except OSError:
        return ""
    if size <= limit:
        return ""
    return (
        f"The attachment is {size / 1024 / 1024:.1f} MB; {provider.name} takes files of at most "
        f"{limit / 1024 / 1024:.0f} MB. Replace it with a smaller file to publish."
    )


def send_batches(jobs: list[PublishJob]) -> None:
    """On commit, one message per batch: jobs grouped by queue and connection (and by an unfinished earlier
    batch, whose members must stay together), in chunks of what one request of the provider carries."""
    groups: dict[tuple, list[PublishJob]] = {}
    for job in jobs:
        groups.setdefault((job.queue, job.connection_id, job.batch_key), []).append(job)
    for (queue, _, batch_key), group in groups.items():
        size = len(group) if batch_key else batch_size(group[0].connection.provider)
        for start in range(0, len(group), size):
            chunk = [str(job.pk) for job in group[start : start + size]]
            transaction.on_commit(lambda chunk=chunk, queue=queue: _send(chunk, queue))


def items_publish(
    *,
    business: Business,
    item_ids: list,
    actor: User | None,
    queue: str = "publish_interactive",
    automatic: bool = False,
    dispatch: bool = True,
) -> BulkResult:
    """Queue items for publishing: the ``queued`` state and a job row in one transaction; tasks on commit
    (``dispatch=False``: no task is sent, for callers that run the jobs themselves)."""
    assert queue in QUEUES
    result = BulkResult()
    to_send: list[PublishJob] = []
    # A lease from the start: if the task message is lost, the sweeper re-sends the job.
    dispatch_lease = timezone.now() + timedelta(seconds=settings.PUBLISH_DISPATCH_GRACE_SECONDS)
    with transaction.atomic():
        rows = (
            Item.objects.for_business(business)
            .select_for_update(of=("self",))
            .select_related("supplier", "customer")
            .filter(pk__in=item_ids)
            .order_by("pk")  # rows locked in one order everywhere (the worker's record too): no deadlock
        )
        found = {str(item.pk): item for item in rows}
        # Each connection once, not once per item: its credentials are decrypted on reading.
        connections = Connection.objects.for_business(business).in_bulk({i.integration_id for i in found.values()})
        for item in found.values():
            if item.integration_id in connections:
                item.integration = connections[item.integration_id]
        jobs, history = [], []
        context = None  # how the items are coded, read only when one is not ready (to say why)
        for raw_id in item_ids:
            item = found.get(str(raw_id))
            if item is None:
                result.refuse(raw_id, "not_found", "No such item.")
                continue
            if item.state in IN_FLIGHT_STATES:
                continue  # already on its way: publishing twice is a no-op
            if item.state == ItemState.ARCHIVED:
                result.refuse(item.pk, "not_ready", "Archived items are not published.", missing=[])
                continue
            if item.state != ItemState.READY:
                context = context or coding_context(business)
                problems = item_problems(item, context)
                missing = [p["field"] for p in problems]
                detail = " ".join(p["detail"] for p in problems) or "This item is not ready to publish."
                result.refuse(item.pk, "not_ready", detail, missing=missing, problems=problems)
                continue
            connection = item.integration
            if connection is None or connection.status not in LIVE_STATUSES:
                result.refuse(item.pk, "no_connection", "Connect accounting software before publishing.")
                continue
            provider = registry.get(connection.provider)
            too_big = _attachment_too_big(item, provider)
            if too_big:
                result.refuse(item.pk, "attachment_too_large", too_big)
                continue
            if automatic and not provider.supports_auto_publish:
                continue  # QuickBooks Desktop is never published automatically
            waits = provider.auth is AuthKind.WEB_CONNECTOR
            job = PublishJob(
                business_id=business.pk,
                item=item,
                connection=connection,
                idempotency_key=idempotency_key(item, connection.pk),
                queue=queue,
                status=PublishJobStatus.WAITING_WEB_CONNECTOR if waits else PublishJobStatus.PENDING,
                requested_by=actor if actor is not None and actor.is_authenticated else None,
                lease_expires_at=None if waits else dispatch_lease,
            )
            jobs.append(job)
            history.append(
                ItemHistory(
                    business_id=business.pk,
                    item=item,
                    actor=job.requested_by,
                    field="state",
                    before=item.state,
                    after=ItemState.QUEUED,
                    reason="Auto-publish" if automatic else "Publish",
                )
            )
            item.state = ItemState.QUEUED
            if not waits:
                to_send.append(job)
        if jobs:
            Item.objects.for_business(business).filter(pk__in=[j.item_id for j in jobs]).update(
                state=ItemState.QUEUED, updated_at=timezone.now()
            )
            PublishJob.objects.bulk_create(jobs)
            ItemHistory.objects.bulk_create(history)
        result.updated = len(jobs)
        if to_send and dispatch:
            send_batches(to_send)
    return result


def sweep_expired_leases(*, limit: int = 500) -> int:
    """Re-send jobs whose lease expired: a lost broker message, a killed worker, an emptied Redis. Members of
    one unfinished batch go in one message, so that they are claimed and sent again together."""
    now = timezone.now()
    with transaction.atomic():
        jobs = list(
            PublishJob.objects.unscoped()
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("connection")
            .filter(
                status__in=(PublishJobStatus.PENDING, PublishJobStatus.CLAIMED),
                lease_expires_at__lt=now,
            )
            .order_by("lease_expires_at")[:limit]
        )
        grace = timedelta(seconds=settings.PUBLISH_DISPATCH_GRACE_SECONDS)
        for job in jobs:
            if job.status == PublishJobStatus.CLAIMED:
                job.status = PublishJobStatus.PENDING  # the worker that held it is gone
            job.lease_expires_at = now + grace
        PublishJob.objects.unscoped().bulk_update(jobs, ["status", "lease_expires_at"])
        send_batches(jobs)
    if jobs:
        log.info("swept publish jobs", extra={"count": len(jobs)})
    return len(jobs)
