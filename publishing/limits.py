"""A batch sized to the connection's limits (issue 14): the calls it will make, counted before it is claimed, and
the connection's jobs waiting for the provider's next day when the day's calls are spent."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from integrations.models import Connection
from integrations.providers import registry
from integrations.providers.base import DayLimitReached, OwnLimitReached, RateLimited
from integrations.ratelimit import budget, in_flight, next_day_start
from publishing.models import AttachmentStatus, Item, ItemState, PublishJob, PublishJobStatus

# Documents a batch should carry, room permitting, while another batch of the connection is in flight.
ENOUGH_FOR_A_BATCH = 10


def batch_calls(provider, jobs: list[PublishJob], connection_id, *, uploads_after: bool = False) -> int:
    """The calls publishing ``jobs`` together will make against the connection's limits: the create requests, an
    upload per attachment where they go inside the publish (``uploads_after``: they go up after it, on their own
    reservation, :mod:`publishing.attaching`), a look-up for each document that may have been sent
    before (found by our reference first), two for an update (read, then write), two per supplier or customer of
    the batch and one for reference data (unless cached). A guess on the high side: what is not spent is given
    back when the batch ends, so it costs a smaller batch now, never calls."""
    creates, look_ups, attachments, contacts = 0, 0, 0, set()
    for job in jobs:
        item = job.item
        if item.external_id and item.integration_id == connection_id:
            look_ups += 2
            continue
        creates += 1
        attachments += 1 if (item.attachment and not uploads_after) else 0
        look_ups += 1 if (job.attempts > 1 or item.publish_attempts > 0) else 0
        contacts.add(item.customer_id if item.kind == "sales" else item.supplier_id)
    requests = provider.calls_for(creates, attachments=attachments) if creates else 0
    # A contact not yet cached is looked for, and made when missing (two calls); the ledger's reference data (its
    # tax rates) once a batch at most.
    return max(1, requests + look_ups + 2 * len(contacts - {None}) + (1 if creates else 0))


def batch_fit(connection: Connection, batch: list[PublishJob]) -> tuple[int, RateLimited | None]:
    """How many of ``batch`` (in order) the connection's limits have room for now, and when none does, why
    (OwnLimitReached with the wait, or DayLimitReached with when the day renews).

    Where attachments go up after their documents (Xero), a batch's window room is for its create request and
    look-ups only: the uploads follow on their own reservations as the window frees (:mod:`publishing.attaching`),
    so a batch carries a full request's documents instead of the few whose uploads fit the window at once. The
    uploads already waiting go first (the batch waits for them), and the day must hold a document and its upload."""
    from publishing.attaching import attaches_after_publish

    provider = registry.get(connection.provider)
    day_limit = provider.day_limit
    left = budget(connection_id=connection.pk, per_minute=provider.rate_limit_per_minute, day_limit=day_limit)
    uploads_after = attaches_after_publish(connection)
    waiting = uploads_waiting(connection) * max(1, provider.calls_per_attachment) if uploads_after else 0
    minute_room = max(0, left.minute_left - waiting)
    day_room = None if left.day_left is None else max(0, left.day_left - waiting)
    requests_room = None
    if provider.batch_rate_limit_per_minute and len(batch) > 1:
        requests_room = budget(
            connection_id=connection.pk, per_minute=provider.batch_rate_limit_per_minute, window="batch"
        ).minute_left
    fits = 0
    for n in range(1, len(batch) + 1):
        if batch_calls(provider, batch[:n], connection.pk, uploads_after=uploads_after) > minute_room:
            break
        if day_room is not None and batch_calls(provider, batch[:n], connection.pk) > day_room:
            break
        if requests_room is not None and n > 1 and provider.requests_for(n) > requests_room:
            break
        fits = n
    if fits and fits < min(len(batch), ENOUGH_FOR_A_BATCH) and in_flight(connection.pk):
        # Another batch of the connection is using the limit meanwhile: wait for room for a batch worth a request
        # rather than spend a create request on a document or two (the limit would carry fewer documents).
        fits = 0
    if fits:
        return fits, None
    if day_room is not None and day_room < batch_calls(provider, batch[:1], connection.pk):
        resumes = next_day_start()  # what is left of the day does not hold even one document and its upload
        wait = (resumes - timezone.now()).total_seconds()
        return 0, DayLimitReached(day_wait_message(provider, resumes), wait, resumes)
    return 0, OwnLimitReached("Waiting for this connection's limit of calls a minute.", left.minute_wait)


def day_wait_message(provider, resumes_at) -> str:
    when = f"{resumes_at:%H:%M} UTC" if resumes_at is not None else "the next day"
    return f"Waiting for {provider.name}'s daily limit; resumes at {when}"


def jobs_wait_for_day(connection: Connection, resumes_at, *, now) -> int:
    """Every pending job of the connection waits for the provider's next day: it stays queued, says so, and the
    sweeper sends it when the day renews (its lease ends then). No attempt is spent."""
    resumes_at = resumes_at or next_day_start()
    message = day_wait_message(registry.get(connection.provider), resumes_at)
    return (
        PublishJob.objects.for_business(connection.business_id)
        .filter(connection_id=connection.pk, status=PublishJobStatus.PENDING)
        .update(
            not_before=resumes_at,
            lease_expires_at=resumes_at + timedelta(seconds=settings.PUBLISH_DISPATCH_GRACE_SECONDS),
            last_error=message,
            last_error_kind="rate_limited",
            updated_at=now,
        )
    )


def uploads_waiting(connection: Connection) -> int:
    """Attachments of the connection's documents made lately that wait for their upload (or are being uploaded).
    One left behind by a lost task stops counting once its lease is over (the sweeper sends it again)."""
    recent = timezone.now() - timedelta(seconds=settings.PUBLISH_LEASE_SECONDS)
    return (
        Item.objects.for_business(connection.business_id)
        .filter(
            integration_id=connection.pk,
            state=ItemState.PUBLISHED,
            attachment_status__in=(AttachmentStatus.PENDING, AttachmentStatus.SENDING),
            attachment_status_at__gte=recent,
        )
        .count()
    )
