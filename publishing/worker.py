"""What a Celery worker does with a batch of publish jobs (DESIGN.md §6).

1. Claim the jobs in a short transaction (``SELECT … FOR UPDATE SKIP LOCKED``), with a lease: jobs of one
   connection, as many as its provider's client publishes together (one, or a batch: Xero takes about 50
   documents a request, Bill.com's bulk bills 100, and QuickBooks Online 30, in batch requests of 10).
2. Call the provider outside any transaction, holding one of the connection's rate-limit slots; while it runs,
   the batch's lease (and the slot) is renewed, so that a slow call is not taken for a dead worker's
   (:mod:`publishing.lease`).
3. Record each job's attempt and outcome in another short transaction.

Delivery is at-least-once (Celery ``acks_late`` plus the sweeper that re-sends jobs whose lease
expired); the provider-side idempotency key of each request makes it exactly one document per item. A batch
keeps its members until it has an answer (``PublishJob.batch_key``), so a request sent again after a crash
or a timeout is the same request under the same key.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from dext_connections.db import rows_update
from integrations.models import Connection, ConnectionStatus
from integrations.providers import registry
from integrations.providers.base import (
    AuthError,
    DayLimitReached,
    ExternalRef,
    OwnLimitReached,
    ProviderError,
    RateLimited,
    TransientError,
    ValidationError,
)
from integrations.providers.http_client import Outcome
from integrations.ratelimit import minute_seconds, provider_slot
from publishing.attaching import attaches_after_publish, attachment_status_published, attachments_send
from publishing.documents import document_for, maybe_sent
from publishing.fields import CODING_ENTRY
from publishing.lease import LeaseKeeper
from publishing.limits import batch_calls, batch_fit, jobs_wait_for_day
from publishing.models import (
    Item,
    ItemHistory,
    ItemState,
    PublishAttempt,
    PublishJob,
    PublishJobStatus,
)
from publishing.pipeline import batch_size, next_fresh_jobs

log = logging.getLogger(__name__)

RECONNECT_MESSAGE = "Connection expired — reconnect in Business settings > Connections"


@dataclass
class Retry:
    """These jobs should run again after ``delay`` seconds (the task sends them, as one message)."""

    delay: float
    reason: str
    queue: str = "publish_bulk"
    job_ids: list[str] = field(default_factory=list)


def backoff_delay(attempt: int) -> float:
    """Capped exponential backoff with full jitter."""
    cap = settings.PUBLISH_BACKOFF_MAX_SECONDS
    return random.uniform(0, min(cap, settings.PUBLISH_BACKOFF_BASE_SECONDS * (2 ** max(0, attempt - 1))))  # noqa: S311


def _ids(jobs) -> list[str]:
    return [str(job.pk) for job in jobs]


def _claim(job_ids: list) -> tuple[list[PublishJob], list[Retry]]:
    """Claim one batch among ``job_ids``: jobs of one connection that are due, with a lease. Jobs that were
    claimed together before and not finished (a crash, a timeout, a retry) stay together, so that their request
    is sent again exactly as it was, under the same idempotency key. Due jobs left over go back to the queue."""
    now = timezone.now()
    retries: list[Retry] = []
    with transaction.atomic():
        rows = list(
            PublishJob.objects.unscoped()
            # Lock the job rows only: with the joined connection and item rows locked too, two workers
            # claiming two batches of one connection at once would skip each other's jobs and drop them.
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("item__supplier", "item__customer", *(f"item__{name}" for name in CODING_ENTRY.values()))
            # By primary key alone: with the status in the query too, the planner may walk a partial index of
            # all open jobs (thousands during a bulk publish) instead of fetching these few rows.
            .filter(pk__in=job_ids)
            .order_by("pk")
        )
        # Done, cancelled, gone, being claimed by another worker right now, or held under a live lease: not ours.
        rows = [
            j
            for j in rows
            if j.status == PublishJobStatus.PENDING
            or (j.status == PublishJobStatus.CLAIMED and not (j.lease_expires_at or now) > now)
        ]
        if not rows:
            rows = next_fresh_jobs(job_ids, now)
        waiting = [j for j in rows if j.not_before and j.not_before > now]
        if waiting:
            delay = max(j.not_before for j in waiting) - now
            retries.append(Retry(delay.total_seconds(), "not yet", waiting[0].queue, _ids(waiting)))
        groups: dict[tuple, list[PublishJob]] = {}
        for job in rows:
            if not (job.not_before and job.not_before > now):
                groups.setdefault((job.connection_id, job.batch_key), []).append(job)
        if not groups:
            return [], retries
        # An unfinished batch first: it is the older work.
        ordered = sorted(groups.items(), key=lambda group: not group[0][1])
        (_, batch_key), batch = ordered[0]
        leftover: list[PublishJob] = []
        # The connection once for the batch (its credentials are decrypted on reading).
        connection = Connection.objects.for_business(batch[0].business_id).get(pk=batch[0].connection_id)
        if not batch_key:  # new jobs: as many as the provider publishes together (an unfinished batch goes whole)
            size = batch_size(connection.provider)
            batch, leftover = batch[:size], batch[size:]
        # As many as the connection's limits have room for now (calls this minute, today): waiting for a window
        # is decided here, before anything is claimed, so it spends no attempt and makes no call.
        fits, wait = batch_fit(connection, batch)
        if batch_key and fits < len(batch):
            fits = 0  # an unfinished batch goes whole, or waits
        if fits == 0:
            if isinstance(wait, DayLimitReached):
                jobs_wait_for_day(connection, wait.resumes_at, now=now)
            else:
                waiting_ids = _ids(batch) + _ids(leftover)
                retries.append(Retry(_limit_wait(wait), "limit", batch[0].queue, waiting_ids))
            for _, jobs in ordered[1:]:
                retries.append(Retry(0.0, "another batch", jobs[0].queue, _ids(jobs)))
            return [], retries
        batch, leftover = batch[:fits], batch[fits:] + leftover
        for rest in [leftover, *(jobs for _, jobs in ordered[1:])]:
            if rest:
                retries.append(Retry(0.0, "another batch", rest[0].queue, _ids(rest)))
        batch_key = batch_key or uuid.uuid5(uuid.NAMESPACE_URL, "jobs:" + ",".join(_ids(batch))).hex
        lease = now + timedelta(seconds=settings.PUBLISH_LEASE_SECONDS)
        PublishJob.objects.unscoped().filter(pk__in=[j.pk for j in batch]).update(
            status=PublishJobStatus.CLAIMED,
            attempts=F("attempts") + 1,
            lease_expires_at=lease,
            batch_key=batch_key,
            updated_at=now,
        )
        for job in batch:
            job.status, job.attempts, job.lease_expires_at, job.batch_key = (
                PublishJobStatus.CLAIMED,
                job.attempts + 1,
                lease,
                batch_key,
            )
            job.connection = connection
        Item.objects.for_business(batch[0].business_id).filter(
            pk__in=[j.item_id for j in batch], state=ItemState.QUEUED
        ).update(state=ItemState.PUBLISHING, updated_at=now)
    return batch, retries


class BatchNotSent(OwnLimitReached):
    """The connection's limits had no room for the batch when its slot was asked (another message of the connection
    took it since the claim measured the room): nothing was sent now, and the batch looks again shortly rather than
    waiting until the window has room for all of it. It stays one batch: it may be a replay of a request sent
    before (a lost answer), which must go again as it was, under its key."""


# A batch refused its slot is fitted again this soon (or when the limiter says, if sooner).
NOT_SENT_WAIT_SECONDS = 1.0


def _limit_wait(wait: RateLimited) -> float:
    """How long a batch waits for room in the connection's minute: until the oldest call leaves the window, but
    never more than a twentieth of a minute, since another message's batch ending gives back what it reserved and
    did not spend (the window has room sooner than its oldest call says)."""
    return max(0.05, min(wait.retry_after or 1.0, minute_seconds() / 20))


def _call_provider(batch: list[PublishJob], keeper: LeaseKeeper | None = None) -> list[Outcome]:
    """One outcome per job. The connection and the items as the claim read them, a moment ago: the connection
    may have been disconnected or have expired since the jobs were queued (an in-flight item cannot be edited).
    ``keeper``, which renews the batch's lease while the call runs, renews the rate-limit slot with it."""
    connection = batch[0].connection
    if connection.status == ConnectionStatus.DISCONNECTED:
        return [ValidationError(f"{connection.name} was disconnected before this item was published.")] * len(batch)
    if connection.status != ConnectionStatus.ACTIVE:
        return [AuthError(f"{connection.name} needs to be reconnected.")] * len(batch)
    provider = registry.get(connection.provider)
    batched = len(batch) > 1 and provider.batch_rate_limit_per_minute
    try:
        documents = [document_for(job.item, job) for job in batch]
        # Every call the batch makes is counted (metered): look-ups and attachment uploads too.
        with ExitStack() as held:
            try:
                slot = held.enter_context(
                    provider_slot(
                        connection_id=connection.pk,
                        per_minute=provider.rate_limit_per_minute,
                        concurrent=provider.max_concurrent,
                        slot_seconds=settings.PUBLISH_LEASE_SECONDS,
                        calls=batch_calls(
                            provider, batch, connection.pk, uploads_after=attaches_after_publish(connection)
                        ),
                        day_limit=provider.day_limit,
                        metered=True,
                        batch_limit=provider.batch_rate_limit_per_minute if batched else 0,
                        batch_calls=provider.requests_for(len(batch)) if batched else 0,
                    )
                )
            except DayLimitReached:
                raise
            except OwnLimitReached as refused:
                wait = min(refused.retry_after or 1.0, NOT_SENT_WAIT_SECONDS)
                return [BatchNotSent(refused.message, wait)] * len(batch)  # the outcome of each job: not sent
            if keeper is not None:
                keeper.also(slot.renew)
            return provider.client(connection).publish_many(documents)
    except ProviderError as exc:
        return [exc] * len(batch)
    except Exception as exc:  # a bug or an unexpected answer: keep the items, retry with backoff
        log.exception("publish batch crashed", extra={"connection": str(connection.pk)})
        return [TransientError(f"Unexpected error: {exc.__class__.__name__}.")] * len(batch)


def batch_run(*, job_ids: list) -> list[Retry]:
    """Claim a batch among ``job_ids``, publish it, record each job's outcome. Answers the jobs to send again."""
    batch, retries = _claim(job_ids)
    if not batch:
        return retries
    started = timezone.now()
    clock = time.monotonic()
    with LeaseKeeper(batch) as keeper:  # the call may outlast the lease: no one else may take these jobs meanwhile
        outcomes = _call_provider(batch, keeper)
    duration_ms = int((time.monotonic() - clock) * 1000)
    retry = _record(batch, outcomes, started=started, duration_ms=duration_ms)
    _attach(batch, outcomes)
    return retries + ([retry] if retry else [])


def _attach(batch: list[PublishJob], outcomes: list[Outcome]) -> None:
    """The attachments of the documents just made, now that their ids are saved (publishing.attaching); what a limit
    or the network holds back goes again later, by task."""
    made = [job.item_id for job, outcome in zip(batch, outcomes, strict=True) if isinstance(outcome, ExternalRef)]
    if not made or not any(job.item.attachment for job in batch):
        return
    # A document made by this batch's first attempt (no look-up before it) cannot carry an earlier upload.
    fresh = [job.item_id for job in batch if job.item_id in made and not maybe_sent(job.item, job)]
    again = attachments_send(business_id=batch[0].business_id, item_ids=made, first_tries=fresh)
    if again is not None:
        from publishing.tasks import send_attachments

        send_attachments.apply_async(args=[str(batch[0].business_id), [str(i) for i in made]], countdown=again)


def job_run(*, job_id) -> Retry | None:
    """Run one job on its own (the demo, tests). Answers a Retry when it should run again later."""
    retries = batch_run(job_ids=[job_id])
    return retries[0] if retries else None


# An error's kind by its type (a subclass counts as its base: OwnLimitReached and ProviderRateLimited are both
# "rate_limited"); any other error is "transient".
OUTCOME_KINDS = {
    AuthError: "auth",
    RateLimited: "rate_limited",
    TransientError: "transient",
    ValidationError: "validation",
}


def outcome_kind(error: Exception) -> str:
    return next((kind for cls, kind in OUTCOME_KINDS.items() if isinstance(error, cls)), "transient")


JOB_FIELDS = [
    "status",
    "attempts",
    "not_before",
    "lease_expires_at",
    "last_error",
    "last_error_kind",
    "finished_at",
    "batch_key",
]
ITEM_FIELDS = [
    "state",
    "external_id",
    "external_url",
    "published_at",
    "last_publish_error",
    "last_publish_error_kind",
    "last_publish_error_at",
    "publish_attempts",
    "attachment_status",
    "attachment_error",
    "attachment_status_at",
]


def _record(batch: list[PublishJob], outcomes: list[Outcome], *, started, duration_ms: int) -> Retry | None:
    """Each job's attempt and outcome, in one transaction, a constant number of statements for the batch."""
    from integrations.services import connection_mark_needs_reconnect

    now = timezone.now()
    connection, business_id = batch[0].connection, batch[0].business_id
    outcome_of = {job.pk: outcome for job, outcome in zip(batch, outcomes, strict=True)}
    attempts, history, retried, failures, moved = [], [], [], {}, []
    delay = None
    day_wait = None
    attachment_status = attachment_status_published(connection)
    with transaction.atomic():
        jobs = list(
            PublishJob.objects.for_business(business_id)
            .select_for_update()  # the job rows: not the connection's, which every job of it shares
            .filter(pk__in=list(outcome_of))
            .order_by("pk")
        )
        items = {
            item.pk: item
            for item in Item.objects.for_business(business_id)
            .select_for_update()
            .filter(pk__in=[job.item_id for job in jobs])
            .only(*ITEM_FIELDS, "updated_at", "integration_id", "attachment")  # what is written back, and reads
            .order_by("pk")
        }
        for job in jobs:
            item, outcome = items[job.item_id], outcome_of[job.pk]
            ref = outcome if isinstance(outcome, ExternalRef) else None
            error = None if ref is not None else outcome
            kind = "succeeded" if ref is not None else outcome_kind(error)
            job.updated_at = item.updated_at = now
            attempts.append(
                PublishAttempt(
                    business_id=business_id,
                    job=job,
                    started_at=started,
                    duration_ms=duration_ms,
                    outcome=kind,
                    request_summary={
                        "provider": connection.provider,
                        "attempt": job.attempts,
                        "reference": str(item.pk),
                        "batch": job.batch_key,
                        "batch_size": len(batch),
                    },
                    response={"external_id": ref.external_id} if ref else {"error": error.message},
                )
            )
            if ref is not None:
                # Published, even if the job was cancelled meanwhile: the ledger is the truth.
                if item.integration_id != job.connection_id:
                    moved.append(item.pk)  # resolved to another integration while the call was in flight
                    history.append(
                        ItemHistory(
                            business_id=business_id,
                            item=item,
                            field="integration",
                            before=str(item.integration_id or ""),
                            after=str(job.connection_id),
                            reason=f"Published to {connection.name}, which holds the document"[:255],
                        )
                    )
                history.append(
                    ItemHistory(
                        business_id=business_id,
                        item=item,
                        field="state",
                        before=item.state,
                        after=ItemState.PUBLISHED,
                        reason=f"Published to {connection.name}",
                    )
                )
                job.status, job.finished_at, job.lease_expires_at, job.last_error = (
                    PublishJobStatus.SUCCEEDED,
                    now,
                    None,
                    "",
                )
                created = not item.external_id or item.integration_id != job.connection_id
                if item.attachment and created:
                    # Saved first, uploaded next (publishing.attaching): the document's id is never lost.
                    item.attachment_status = attachment_status
                    item.attachment_error, item.attachment_status_at = "", now
                item.state, item.external_id, item.external_url, item.published_at = (
                    ItemState.PUBLISHED,
                    ref.external_id,
                    ref.url,
                    now,
                )
                item.last_publish_error, item.last_publish_error_kind, item.last_publish_error_at = None, "", None
                item.publish_attempts += 1
                continue
            failures.setdefault(kind, error)
            if job.status == PublishJobStatus.CANCELLED:
                item.publish_attempts += 1  # it may have reached the provider: a later publish looks first
                continue  # the integration was disconnected meanwhile; the item already says so
            if isinstance(error, DayLimitReached):
                day_wait = error  # the job waits for the next day, with every other of the connection
                job.attempts -= 1
                job.status = PublishJobStatus.PENDING
                item.state = ItemState.QUEUED
                continue
            if kind in ("rate_limited", "transient") and job.attempts < settings.PUBLISH_MAX_ATTEMPTS:
                if delay is None:
                    own_wait = isinstance(error, RateLimited) and error.retry_after is not None
                    delay = error.retry_after if own_wait else backoff_delay(job.attempts)
                if isinstance(error, OwnLimitReached):
                    job.attempts -= 1  # waiting for our own limiter is not a failed attempt
                job.status = PublishJobStatus.PENDING
                job.not_before = now + timedelta(seconds=delay)
                job.lease_expires_at = job.not_before + timedelta(seconds=settings.PUBLISH_DISPATCH_GRACE_SECONDS)
                job.last_error, job.last_error_kind = error.message, kind
                item.state = ItemState.QUEUED
                retried.append(job)
                continue
            message = RECONNECT_MESSAGE if kind == "auth" else error.message
            job.status, job.finished_at, job.lease_expires_at = PublishJobStatus.FAILED, now, None
            job.last_error, job.last_error_kind = message, kind
            item.state = ItemState.READY
            item.last_publish_error, item.last_publish_error_kind, item.last_publish_error_at = message, kind, now
            item.publish_attempts += 1
            history.append(
                ItemHistory(
                    business_id=business_id,
                    item=item,
                    field="state",
                    before=ItemState.PUBLISHING,
                    after=ItemState.READY,
                    reason=f"Publish failed: {message}"[:255],
                )
            )
        PublishAttempt.objects.bulk_create(attempts)
        ItemHistory.objects.bulk_create(history)
        rows_update(PublishJob, jobs, [*JOB_FIELDS, "updated_at"], business_id=business_id)
        rows_update(Item, list(items.values()), [*ITEM_FIELDS, "updated_at"], business_id=business_id)
        if day_wait is not None:
            jobs_wait_for_day(connection, day_wait.resumes_at, now=now)
        if moved:
            _keep_with_ledger(business_id, connection, moved, now=now)
        if "auth" in failures:
            connection_mark_needs_reconnect(connection=connection, reason=failures["auth"].message)
    for kind, error in failures.items():
        _log_failure_grouped(connection.pk, kind, error)
    if not retried:
        return None
    return Retry(delay=delay, reason=retried[0].last_error_kind, queue=retried[0].queue, job_ids=_ids(retried))


def _keep_with_ledger(business_id, connection: Connection, item_ids: list, *, now) -> None:
    """Items published to ``connection`` after they had been resolved to another integration (it was
    disconnected while the call was in flight): they name the connection that holds their document, as items
    published before a disconnect do, with no source (the one that chose it is gone), and a job queued for them
    meanwhile to the other integration, not yet claimed, is cancelled: the item is published."""
    Item.objects.for_business(business_id).filter(pk__in=item_ids).update(
        integration_id=connection.pk, integration_source=None, integration_chosen_by=None, updated_at=now
    )
    PublishJob.objects.for_business(business_id).filter(item_id__in=item_ids, status=PublishJobStatus.PENDING).exclude(
        connection_id=connection.pk
    ).update(
        status=PublishJobStatus.CANCELLED,
        last_error=f"Already published to {connection.name}.",
        finished_at=now,
        updated_at=now,
    )


def _log_failure_grouped(connection_id, outcome: str, error) -> None:
    """One log line per connection and kind of failure per minute, with a count, not one per item."""
    from integrations.ratelimit import _redis

    key = f"publish-failures:{connection_id}:{outcome}"
    try:
        client = _redis()
        count = client.incr(key)
        if count == 1:
            client.expire(key, 60)
            log.warning(
                "publish failing",
                extra={"connection": str(connection_id), "kind": outcome, "detail": error.message},
            )
    except Exception:  # counters are a nicety; never fail a job over them
        log.warning("publish failing", extra={"connection": str(connection_id), "kind": outcome})
