"""The publish pipeline: an outbox of publish jobs, claimed by Celery workers (DESIGN.md §6)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Q, When
from django.utils import timezone

from accounts.models import Business, User
from integrations.models import LIVE_STATUSES, Connection
from integrations.providers import registry
from integrations.providers.base import AuthKind
from publishing.coding import coding_context, item_problems
from publishing.fields import CODING_ENTRY
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


# --- fair dispatch: few messages ("drain tokens") per connection in flight -------------------------------------
#
# Jobs stay rows (the outbox). A connection has at most ``streams`` messages (PUBLISH_STREAMS_PER_CONNECTION,
# 1; never more than the provider's calls at once) in the broker's queues at a time, each carrying one batch;
# the worker that runs one sends the connection's following batch as a new message, at the back of the queue
# (``drain_continue``). A small client's message therefore waits behind one batch of each other connection,
# never behind another client's thousands of jobs. A Redis counter per connection (``publish-drain:<id>``) holds
# the tokens; its expiry (renewed while the connection drains) lets the sweeper send a new message when one was
# lost with the worker that held it.

TOKEN_PREFIX = "publish-drain:"
LONGEST_COUNTDOWN = 600.0  # a longer wait (the next day) is left to the sweeper: the jobs' lease ends then


def _token_seconds(countdown: float = 0.0) -> int:
    return int(countdown + settings.PUBLISH_LEASE_SECONDS + settings.PUBLISH_DISPATCH_GRACE_SECONDS) + 1


_TAKE = """
local held = tonumber(redis.call('GET', KEYS[1]) or '0')
if held >= tonumber(ARGV[1]) then
  if ARGV[3] == '0' then return 0 end
  redis.call('EXPIRE', KEYS[1], ARGV[2])  -- forced: the new message stands for a lost one
  return 1
end
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"""
_RENEW = """
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], 1) end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
"""
_RELEASE = """
local held = tonumber(redis.call('GET', KEYS[1]) or '0')
if held <= 1 then redis.call('DEL', KEYS[1]) else redis.call('DECR', KEYS[1]) end
return 1
"""


def streams(provider_key: str) -> int:
    """Messages of one connection in flight at once: enough to keep its limit busy while each waits on the
    provider's answers (``PUBLISH_STREAMS_PER_CONNECTION``), never more than the calls it may make at once."""
    provider = registry.get(provider_key)
    return max(1, min(provider.max_concurrent or 1, settings.PUBLISH_STREAMS_PER_CONNECTION))


def _token_take(connection_id, *, provider_key: str = "", force: bool = False, countdown: float = 0.0) -> bool:
    """Whether the caller may send a message of the connection (fewer than its streams are in flight; ``force``:
    one in flight is known lost). Redis down: yes (one more message costs fairness, never correctness)."""
    from integrations.ratelimit import _redis

    limit = streams(provider_key) if provider_key else 1
    try:
        key = TOKEN_PREFIX + str(connection_id)
        return bool(_redis().eval(_TAKE, 1, key, limit, _token_seconds(countdown), "1" if force else "0"))
    except Exception:  # noqa: BLE001 (any Redis trouble)
        log.warning("drain token not taken", exc_info=True)
        return True


def _tokens_alive(connection_ids) -> dict:
    """Seconds left to the token of each connection whose message is in flight."""
    from integrations.ratelimit import _redis

    ids = list(connection_ids)
    if not ids:
        return {}
    try:
        pipe = _redis().pipeline(transaction=False)
        for connection_id in ids:
            pipe.pttl(TOKEN_PREFIX + str(connection_id))
        left = pipe.execute()
    except Exception:  # noqa: BLE001
        return {}
    return {connection_id: ms / 1000 for connection_id, ms in zip(ids, left, strict=True) if ms and ms > 0}


def _token_release(connection_id) -> None:
    from integrations.ratelimit import _redis

    try:
        _redis().eval(_RELEASE, 1, TOKEN_PREFIX + str(connection_id))
    except Exception:  # noqa: BLE001
        log.warning("drain token not released", exc_info=True)


def send_batches(jobs: list[PublishJob], *, force: bool = False) -> None:
    """On commit, each connection's first batches go as messages, as many as it may have in flight (its
    ``streams``) less those already in flight (they will find the rest). Interactive work first, then an unfinished
    earlier batch (its members stay together), then the oldest, in what one request of the provider carries.
    ``force``: a message of the connection was lost (the sweeper found a job whose worker died)."""
    by_connection: dict = {}
    for job in jobs:
        by_connection.setdefault(job.connection_id, []).append(job)
    for connection_id, group in by_connection.items():
        group.sort(key=lambda job: (job.queue != "publish_interactive", not job.batch_key, job.created_at or 0))
        provider_key = group[0].connection.provider
        chunks: list[list[PublishJob]] = []
        for key in dict.fromkeys(job.batch_key for job in group if job.batch_key):
            chunks.append([job for job in group if job.batch_key == key])
        fresh = [job for job in group if not job.batch_key]
        size = batch_size(provider_key)
        chunks += [fresh[start : start + size] for start in range(0, len(fresh), size)]
        for n, chunk in enumerate(chunks[: streams(provider_key)]):
            ids, queue = [str(job.pk) for job in chunk], chunk[0].queue
            transaction.on_commit(
                lambda ids=ids, queue=queue, connection_id=connection_id, key=provider_key, forced=force and n == 0: (
                    _token_take(connection_id, provider_key=key, force=forced) and _send(ids, queue)
                )
            )


def drain_continue(*, job_ids: list, sent: list[list[str]]) -> None:
    """After a worker ran a message of ``job_ids``: send each of their connections' next batch, at the back of the
    queue, unless a message just sent (``sent``: the retries) already carries due work of it. Nothing left: the
    connection's token is given back (and taken again should work have arrived meanwhile)."""
    in_flight = {job_id for ids in sent for job_id in ids}
    pairs = set(PublishJob.objects.unscoped().filter(pk__in=job_ids).values_list("business_id", "connection_id"))
    for business_id, connection_id in pairs:
        _drain_next(business_id, connection_id, in_flight)


LOOK_AHEAD = 200  # the jobs read to pick the next batch from (an unfinished batch sorts first, and is no bigger)
# The order a connection's jobs are claimed in: interactive work first, an unfinished batch (its members stay
# together), then the oldest. publishing.eta counts a job's place in its connection's queue by the same order.
CLAIM_ORDER = (
    Case(When(queue="publish_interactive", then=0), default=1),
    Case(When(batch_key="", then=1), default=0),
    "batch_key",
    "created_at",
    "id",
)


def _next_jobs(business_id, connection_id, exclude: set) -> tuple[list[PublishJob], float]:
    """The connection's next batch in claim order, and how long until it is due (0: now)."""
    now = timezone.now()
    open_jobs = (
        PublishJob.objects.for_business(business_id)
        .filter(connection_id=connection_id, status=PublishJobStatus.PENDING)
        .exclude(pk__in=exclude)
        .select_related("connection")
        .only("pk", "queue", "batch_key", "created_at", "not_before", "connection__provider")
    )
    due = list(
        open_jobs.filter(Q(not_before__isnull=True) | Q(not_before__lte=now)).order_by(*CLAIM_ORDER)[
            : min(LOOK_AHEAD, settings.PUBLISH_BATCH_MAX)
        ]
    )
    if due:
        return due, 0.0
    later = open_jobs.filter(not_before__gt=now).order_by("not_before").first()
    if later is None:
        return [], 0.0
    return [later], (later.not_before - now).total_seconds()


def next_fresh_jobs(job_ids: list, now) -> list[PublishJob]:
    """The message's jobs are being claimed, or were, by another message of their connection (with
    ``PUBLISH_STREAMS_PER_CONNECTION`` above one, two continuations may pick the same next batch): this one takes
    the connection's next due new jobs instead, skipping those a claim under way has locked, so that parallel
    messages publish disjoint batches. Unfinished batches are left to their own messages (they go whole)."""
    first = (
        PublishJob.objects.unscoped()
        .filter(pk__in=job_ids, status__in=(PublishJobStatus.PENDING, PublishJobStatus.CLAIMED))
        .values("business_id", "connection_id")
        .first()
    )
    if first is None:
        return []  # done or cancelled: nothing of the connection is in question
    return list(
        PublishJob.objects.for_business(first["business_id"])
        .select_for_update(skip_locked=True, of=("self",))
        .select_related("item__supplier", "item__customer", *(f"item__{name}" for name in CODING_ENTRY.values()))
        .filter(connection_id=first["connection_id"], status=PublishJobStatus.PENDING, batch_key="")
        .filter(Q(not_before__isnull=True) | Q(not_before__lte=now))
        .order_by(*CLAIM_ORDER)[: settings.PUBLISH_BATCH_MAX]
    )


def _drain_next(business_id, connection_id, in_flight: set) -> None:
    if in_flight and (
        PublishJob.objects.for_business(business_id)
        .filter(pk__in=list(in_flight), connection_id=connection_id)
        .exists()
    ):
        return  # a message of this connection was just sent again (a retry, a wait): it carries the token
    jobs, wait = _next_jobs(business_id, connection_id, in_flight)
    if jobs and wait == 0.0:
        _send_first(connection_id, jobs, countdown=0.0)
        return
    if jobs and wait <= LONGEST_COUNTDOWN:
        later = list(
            PublishJob.objects.for_business(business_id).filter(
                connection_id=connection_id, status=PublishJobStatus.PENDING, not_before=jobs[0].not_before
            )[: batch_size(jobs[0].connection.provider)]
        )
        _send_first(connection_id, later or jobs, countdown=wait)
        return
    # Nothing due (or only after a long wait, which the sweeper sends): give the token back, then look again, so
    # that a job queued between the look and the release is not left without a message.
    _token_release(connection_id)
    jobs, wait = _next_jobs(business_id, connection_id, in_flight)
    if jobs and wait == 0.0 and _token_take(connection_id, provider_key=jobs[0].connection.provider):
        _send_first(connection_id, jobs, countdown=0.0)


def _send_first(connection_id, jobs: list[PublishJob], *, countdown: float) -> None:
    """The first batch of ``jobs`` (in claim order) as the connection's message, its token renewed."""
    from integrations.ratelimit import _redis
    from publishing.tasks import publish_jobs

    first = jobs[0]
    if first.batch_key:
        chunk = [job for job in jobs if job.batch_key == first.batch_key]
    else:
        chunk = [job for job in jobs if not job.batch_key][: batch_size(first.connection.provider)]
    try:
        _redis().eval(_RENEW, 1, TOKEN_PREFIX + str(connection_id), _token_seconds(countdown))
    except Exception:  # noqa: BLE001
        log.warning("drain token not renewed", exc_info=True)
    if countdown > 0:
        publish_jobs.apply_async(args=[[str(j.pk) for j in chunk]], queue=first.queue, countdown=countdown)
    else:
        _send([str(j.pk) for j in chunk], first.queue)


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
        # A pending job behind its connection's backlog is not lost while the connection's message is in flight:
        # it is looked at again when that message's token would have lapsed, not at every sweep.
        alive = _tokens_alive({job.connection_id for job in jobs if job.status == PublishJobStatus.PENDING})
        for job in jobs:
            job.status_was_claimed = job.status == PublishJobStatus.CLAIMED
            if job.status == PublishJobStatus.CLAIMED:
                job.status = PublishJobStatus.PENDING  # the worker that held it is gone
            extra = timedelta(seconds=alive.get(job.connection_id, 0.0)) if not job.status_was_claimed else timedelta()
            job.lease_expires_at = now + grace + extra
        PublishJob.objects.unscoped().bulk_update(jobs, ["status", "lease_expires_at"])
        # A job whose worker died (claimed, lease over): that worker held its connection's message, so a new one
        # goes. A pending job's lease ran out: its connection's message may be lost, or merely behind others; one is
        # sent unless one is known to be in flight (its token lapses with a lost message).
        dead = {job.connection_id for job in jobs if job.status_was_claimed}
        send_batches([job for job in jobs if job.connection_id in dead], force=True)
        send_batches([job for job in jobs if job.connection_id not in dead])
    if jobs:
        log.info("swept publish jobs", extra={"count": len(jobs)})
    return len(jobs)
