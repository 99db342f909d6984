"""What a Celery worker does with one publish job (DESIGN.md §6).

1. Claim the job in a short transaction (``SELECT … FOR UPDATE SKIP LOCKED``), with a lease.
2. Call the provider outside any transaction, holding one of the connection's rate-limit slots.
3. Record the attempt and the outcome in another short transaction.

Delivery is at-least-once (Celery ``acks_late`` plus the sweeper that re-sends jobs whose lease
expired); the provider-side idempotency key of each job makes it exactly one document.
"""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.models import ConnectionStatus
from integrations.providers import registry
from integrations.providers.base import (
    AuthError,
    ExternalRef,
    ProviderError,
    RateLimited,
    TransientError,
    ValidationError,
)
from integrations.providers.document import Attachment, PublishDocument
from integrations.ratelimit import provider_slot
from publishing.models import Item, ItemHistory, ItemState, PublishAttempt, PublishJob, PublishJobStatus

log = logging.getLogger(__name__)

RECONNECT_MESSAGE = "Connection expired — reconnect in Business settings > Connections"


@dataclass
class Retry:
    """The job should run again after ``delay`` seconds (the task schedules it)."""

    delay: float
    reason: str
    queue: str = "publish_bulk"


def backoff_delay(attempt: int) -> float:
    """Capped exponential backoff with full jitter."""
    cap = settings.PUBLISH_BACKOFF_MAX_SECONDS
    return random.uniform(0, min(cap, settings.PUBLISH_BACKOFF_BASE_SECONDS * (2 ** max(0, attempt - 1))))  # noqa: S311


def _claim(job_id) -> PublishJob | Retry | None:
    now = timezone.now()
    with transaction.atomic():
        job = (
            PublishJob.objects.unscoped()
            # Lock the job row only: with the joined connection and item rows locked too, two workers
            # claiming two jobs of one connection at once would skip each other's job and drop its message.
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("connection", "item__supplier", "item__customer")
            .filter(pk=job_id, status__in=(PublishJobStatus.PENDING, PublishJobStatus.CLAIMED))
            .first()
        )
        if job is None:
            return None  # done, cancelled, gone, or another worker is claiming it right now
        if job.status == PublishJobStatus.CLAIMED and job.lease_expires_at and job.lease_expires_at > now:
            return None  # another worker holds a live lease
        if job.not_before and job.not_before > now:
            return Retry(delay=(job.not_before - now).total_seconds(), reason="not yet", queue=job.queue)
        job.status = PublishJobStatus.CLAIMED
        job.attempts += 1
        job.lease_expires_at = now + timedelta(seconds=settings.PUBLISH_LEASE_SECONDS)
        job.save(update_fields=["status", "attempts", "lease_expires_at", "updated_at"])
        Item.objects.for_business(job.business_id).filter(pk=job.item_id, state=ItemState.QUEUED).update(
            state=ItemState.PUBLISHING, updated_at=now
        )
    return job


def document_for(item: Item, job: PublishJob) -> PublishDocument:
    attachment = None
    if item.attachment:
        with item.attachment.open("rb") as fh:
            content = fh.read()
        name = item.attachment.name.rsplit("/", 1)[-1]
        kind = (
            "application/pdf"
            if name.lower().endswith(".pdf")
            else "image/" + (name.rsplit(".", 1)[-1].lower().replace("jpg", "jpeg"))
        )
        attachment = Attachment(filename=name, content_type=kind, content=content)
    contact = item.customer if item.kind == "sales" else item.supplier
    return PublishDocument(
        reference=str(item.pk),
        idempotency_key=job.idempotency_key,
        kind=item.kind,
        contact_name=contact.name if contact else "",
        date=item.date,
        due_date=item.due_date,
        invoice_number=item.invoice_number,
        currency=item.currency,
        total=item.total,
        tax=item.tax,
        category=item.category,
        tax_rate=item.tax_rate,
        description=item.description,
        payment_method=item.payment_method,
        paid=item.paid,
        publish_as=item.publish_as,
        external_id=item.external_id if item.integration_id == job.connection_id else "",
        attachment=attachment,
    )


def _call_provider(job: PublishJob) -> ExternalRef:
    # The connection and the item as the claim read them, a moment ago: it may have been disconnected or
    # have expired since the job was queued. (An in-flight item cannot be edited, so the item is current.)
    connection = job.connection
    if connection.status == ConnectionStatus.DISCONNECTED:
        raise ValidationError(f"{connection.name} was disconnected before this item was published.")
    if connection.status != ConnectionStatus.ACTIVE:
        raise AuthError(f"{connection.name} needs to be reconnected.")
    provider = registry.get(connection.provider)
    document = document_for(job.item, job)
    with provider_slot(
        connection_id=connection.pk,
        per_minute=provider.rate_limit_per_minute,
        concurrent=provider.max_concurrent,
        slot_seconds=settings.PUBLISH_LEASE_SECONDS,
    ):
        return provider.client(connection).publish(document)


def job_run(*, job_id) -> Retry | None:
    """Run one job. Returns a Retry when the task should be sent again later, else None."""
    claimed = _claim(job_id)
    if not isinstance(claimed, PublishJob):
        return claimed
    job = claimed
    started = timezone.now()
    clock = time.monotonic()
    outcome, ref, error = "succeeded", None, None
    try:
        ref = _call_provider(job)
    except ProviderError as exc:
        error = exc
        outcome = {
            AuthError: "auth",
            RateLimited: "rate_limited",
            TransientError: "transient",
            ValidationError: "validation",
        }.get(type(exc), "transient")
    except Exception as exc:  # a bug or an unexpected answer: keep the item, retry with backoff
        log.exception("publish job crashed", extra={"job": str(job.pk)})
        error = TransientError(f"Unexpected error: {exc.__class__.__name__}.")
        outcome = "transient"
    duration_ms = int((time.monotonic() - clock) * 1000)
    return _record(job, started=started, duration_ms=duration_ms, outcome=outcome, ref=ref, error=error)


def _record(
    job: PublishJob, *, started, duration_ms: int, outcome: str, ref: ExternalRef | None, error
) -> Retry | None:
    from integrations.services import connection_mark_needs_reconnect

    now = timezone.now()
    retry = None
    with transaction.atomic():
        job = (
            PublishJob.objects.unscoped()
            .select_for_update(of=("self",))  # not the connection row, which every job of it shares
            .select_related("connection")
            .get(pk=job.pk)
        )
        item = Item.objects.for_business(job.business_id).select_for_update().get(pk=job.item_id)
        PublishAttempt.objects.create(
            business_id=job.business_id,
            job=job,
            started_at=started,
            duration_ms=duration_ms,
            outcome=outcome,
            request_summary={"provider": job.connection.provider, "attempt": job.attempts, "reference": str(item.pk)},
            response={"external_id": ref.external_id} if ref else {"error": error.message if error else ""},
        )
        if ref is not None:
            # Published, even if the job was cancelled meanwhile: the ledger is the truth.
            job.status = PublishJobStatus.SUCCEEDED
            job.finished_at = now
            job.lease_expires_at = None
            job.last_error = ""
            history_before = item.state
            item.state = ItemState.PUBLISHED
            item.external_id = ref.external_id
            item.external_url = ref.url
            item.published_at = now
            item.last_publish_error = None
            item.last_publish_error_kind = ""
            item.last_publish_error_at = None
            item.publish_attempts += 1
            ItemHistory.objects.create(
                business_id=job.business_id,
                item=item,
                field="state",
                before=history_before,
                after=ItemState.PUBLISHED,
                reason=f"Published to {job.connection.name}",
            )
        elif job.status == PublishJobStatus.CANCELLED:
            pass  # the integration was disconnected meanwhile; the item already says so
        elif outcome in ("rate_limited", "transient") and job.attempts < settings.PUBLISH_MAX_ATTEMPTS:
            delay = (
                error.retry_after
                if isinstance(error, RateLimited) and error.retry_after is not None
                else backoff_delay(job.attempts)
            )
            if isinstance(error, RateLimited) and "Our own limit" in error.message:
                job.attempts -= 1  # waiting for our own limiter is not a failed attempt
            job.status = PublishJobStatus.PENDING
            job.not_before = now + timedelta(seconds=delay)
            job.lease_expires_at = job.not_before + timedelta(seconds=settings.PUBLISH_DISPATCH_GRACE_SECONDS)
            job.last_error = error.message
            job.last_error_kind = outcome
            item.state = ItemState.QUEUED
            retry = Retry(delay=delay, reason=outcome, queue=job.queue)
        else:
            message = RECONNECT_MESSAGE if outcome == "auth" else error.message
            job.status = PublishJobStatus.FAILED
            job.finished_at = now
            job.lease_expires_at = None
            job.last_error = message
            job.last_error_kind = outcome
            item.state = ItemState.READY
            item.last_publish_error = message
            item.last_publish_error_kind = outcome
            item.last_publish_error_at = now
            item.publish_attempts += 1
            ItemHistory.objects.create(
                business_id=job.business_id,
                item=item,
                field="state",
                before=ItemState.PUBLISHING,
                after=ItemState.READY,
                reason=f"Publish failed: {message}"[:255],
            )
        job.save()
        item.save()
        if outcome == "auth" and ref is None:
            connection_mark_needs_reconnect(connection=job.connection, reason=error.message)
    if error is not None and ref is None:
        _log_failure_grouped(job, outcome, error)
    return retry


def _log_failure_grouped(job: PublishJob, outcome: str, error) -> None:
    """One log line per connection and kind of failure per minute, with a count, not one per item."""
    from integrations.ratelimit import _redis

    key = f"publish-failures:{job.connection_id}:{outcome}"
    try:
        client = _redis()
        count = client.incr(key)
        if count == 1:
            client.expire(key, 60)
            log.warning(
                "publish failing",
                extra={"connection": str(job.connection_id), "kind": outcome, "detail": error.message},
            )
    except Exception:  # counters are a nicety; never fail a job over them
        log.warning("publish failing", extra={"connection": str(job.connection_id), "kind": outcome})


def sweep_expired_leases(*, limit: int = 500) -> int:
    """Re-send jobs whose lease expired: a lost broker message, a killed worker, an emptied Redis."""
    from publishing.pipeline import _send

    now = timezone.now()
    with transaction.atomic():
        jobs = list(
            PublishJob.objects.unscoped()
            .select_for_update(skip_locked=True)
            .filter(
                status__in=(PublishJobStatus.PENDING, PublishJobStatus.CLAIMED),
                lease_expires_at__lt=now,
            )
            .order_by("lease_expires_at")[:limit]
        )
        grace = timedelta(seconds=settings.PUBLISH_DISPATCH_GRACE_SECONDS)
        by_queue: dict[str, list[str]] = {}
        for job in jobs:
            if job.status == PublishJobStatus.CLAIMED:
                job.status = PublishJobStatus.PENDING  # the worker that held it is gone
            job.lease_expires_at = now + grace
            by_queue.setdefault(job.queue, []).append(str(job.pk))
        PublishJob.objects.unscoped().bulk_update(jobs, ["status", "lease_expires_at"])
        for queue, ids in by_queue.items():
            transaction.on_commit(lambda ids=ids, queue=queue: _send(ids, queue))
    if jobs:
        log.info("swept publish jobs", extra={"count": len(jobs)})
    return len(jobs)
