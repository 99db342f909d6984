"""A published document's attachment, uploaded once the document's id is saved (issue 11).

The worker records a new document first (its external id, the item published), and only then uploads the
attachment: a refused or failed upload can no longer lose the document's id and make a second document on the next
publish. The item stays published and says the attachment is not there, with a **Retry attachment** action. The
upload is claimed (``sending``) before the call, so two workers never send one attachment twice; a claim whose
worker died is handed back by the sweeper.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta

from django import db
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from integrations.models import Connection, ConnectionStatus
from integrations.providers import registry
from integrations.providers.base import ExternalRef, OwnLimitReached, ProviderError, RateLimited, ValidationError
from integrations.ratelimit import budget, minute_seconds, provider_slot
from publishing.fields import CODING_ENTRY
from publishing.models import AttachmentStatus, Item, ItemHistory, ItemState, PublishJob

log = logging.getLogger(__name__)


def attaches_after_publish(connection: Connection) -> bool:
    """Whether this connection's client uploads attachments on their own (``attach``) after the document is made."""
    provider = registry.get(connection.provider)
    return not provider.waits_for_pull and callable(getattr(provider.client(connection), "attach", None))


def attachment_status_published(connection: Connection) -> AttachmentStatus:
    """The status of the attachment of a document just made: waiting for its upload, or kept here only when the
    ledger takes no attachments (QuickBooks Desktop), never "sent" for a file that went nowhere."""
    if attaches_after_publish(connection):
        return AttachmentStatus.PENDING
    return AttachmentStatus.SENT if registry.get(connection.provider).keeps_attachments else AttachmentStatus.KEPT_HERE


def _claim(business_id, item_ids) -> list[Item]:
    now = timezone.now()
    with transaction.atomic():
        items = list(
            Item.objects.for_business(business_id)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("supplier", "customer", *CODING_ENTRY.values())
            .filter(pk__in=item_ids, state=ItemState.PUBLISHED, attachment_status=AttachmentStatus.PENDING)
            .order_by("pk")
        )
        Item.objects.for_business(business_id).filter(pk__in=[i.pk for i in items]).update(
            attachment_status=AttachmentStatus.SENDING, attachment_status_at=now
        )
    return items


def attachments_send(*, business_id, item_ids, first_tries=()) -> float | None:
    """Upload the pending attachments of these published items. Answers seconds until a try again (a limit, the
    network), None when nothing is left to try. ``first_tries``: the items whose document this worker has just
    created (no earlier attempt can have uploaded their file); any other upload may have gone before, and a provider
    that keeps every upload (Bill.com) looks first."""
    from publishing.documents import document_for

    items = _claim(business_id, item_ids)
    if not items:
        return None
    by_connection: dict = {}
    for item in items:
        by_connection.setdefault(item.integration_id, []).append(item)
    again = None
    for connection_id, group in by_connection.items():
        connection = Connection.objects.for_business(business_id).filter(pk=connection_id).first()
        outcomes = _send(connection, group, document_for, {str(i) for i in first_tries})
        wait = _record(business_id, connection, group, outcomes)
        if wait is not None:
            again = wait if again is None else min(again, wait)
    return again


class _StillSending:
    """While uploads run, their items' ``attachment_status_at`` is kept fresh (every third of a lease), so the sweeper
    never takes a slow upload for a lost one and sends the file a second time beside it."""

    def __init__(self, items: list[Item]):
        self.business_id = items[0].business_id if items else None
        self.item_ids = [item.pk for item in items]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="attachment-lease", daemon=True)

    def __enter__(self) -> _StillSending:
        if self.item_ids:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def _run(self) -> None:
        try:
            while not self._stop.wait(settings.PUBLISH_LEASE_SECONDS / 3):
                Item.objects.for_business(self.business_id).filter(
                    pk__in=self.item_ids, attachment_status=AttachmentStatus.SENDING
                ).update(attachment_status_at=timezone.now())
        finally:
            db.connections.close_all()  # this thread's own database connection


def _send(connection: Connection | None, items: list[Item], document_for, first_tries: set[str]) -> list:
    if connection is None or connection.status != ConnectionStatus.ACTIVE:
        name = connection.name if connection is not None else "The integration"
        return [ProviderError(f"{name} is not connected; reconnect it, then retry the attachment.")] * len(items)
    provider = registry.get(connection.provider)
    per_upload = max(1, provider.calls_per_attachment)
    # As many as the connection's window has room for now go up; the others wait for it (an upload is a call of
    # its own, with nothing to share: sending a few now loses nothing, waiting for room for all would idle it).
    room, wait = _room(connection, provider)
    now_count = min(len(items), room // per_upload)
    wait = wait or minute_seconds() / 20  # the rest: when the window has let more calls go
    later = [OwnLimitReached("Waiting for this connection's limit of calls a minute.", wait)] * (len(items) - now_count)
    items = items[:now_count]
    if not items:
        return later
    lanes = max(1, min(provider.uploads_at_once, settings.ATTACHMENT_UPLOADS_AT_ONCE, len(items)))
    with _StillSending(items):
        if lanes == 1:
            return _upload(connection, provider, items, document_for, first_tries) + later
        # Several at once (the provider allows calls in parallel, and one at a time would leave its limit idle
        # while each answer comes back): each lane holds a slot of its own, so our count of calls at once holds.
        chunks = [items[lane::lanes] for lane in range(lanes)]
        with ThreadPoolExecutor(max_workers=lanes, thread_name_prefix="attachment-upload") as pool:
            results = list(
                pool.map(lambda chunk: _in_thread(connection, provider, chunk, document_for, first_tries), chunks)
            )
    outcome_of = {}
    for chunk, result in zip(chunks, results, strict=True):
        outcome_of.update({item.pk: outcome for item, outcome in zip(chunk, result, strict=True)})
    return [outcome_of[item.pk] for item in items] + later


def _in_thread(connection, provider, items, document_for, first_tries) -> list:
    try:
        return _upload(connection, provider, items, document_for, first_tries)
    finally:
        db.connections.close_all()  # this thread's own database connection


def _upload(connection: Connection, provider, items: list[Item], document_for, first_tries: set[str]) -> list:
    """Upload ``items``' attachments one after another under one slot of the connection's limits."""
    client = provider.client(connection)
    outcomes: list = []
    try:
        with provider_slot(
            connection_id=connection.pk,
            per_minute=provider.rate_limit_per_minute,
            concurrent=provider.max_concurrent,
            slot_seconds=settings.PUBLISH_LEASE_SECONDS,
            calls=len(items) * max(1, provider.calls_per_attachment),
            day_limit=provider.day_limit,
            metered=True,  # every upload counted; a look-up first, a refused token refresh or look-up too
        ):
            for item in items:
                job = PublishJob(item=item, connection=connection, idempotency_key=f"{item.pk.hex}-attachment")
                doc = replace(document_for(item, job), maybe_sent=str(item.pk) not in first_tries)
                try:
                    client.attach(doc, ExternalRef(external_id=item.external_id, url=item.external_url))
                    outcomes.append(None)
                except ProviderError as exc:
                    outcomes.append(exc)
    except ProviderError as exc:  # no slot, or the connection refused: every upload not tried waits
        outcomes += [exc] * (len(items) - len(outcomes))
    except Exception as exc:  # a bug or an unexpected answer: keep them pending, try later
        log.exception("attachment upload crashed", extra={"connection": str(connection.pk)})
        outcomes += [ProviderError(f"Unexpected error: {exc.__class__.__name__}.")] * (len(items) - len(outcomes))
    return outcomes


def _room(connection: Connection, provider) -> tuple[int, float]:
    """Calls the connection may make now (this window, today), and how long until the window has room again."""
    if not provider.rate_limit_per_minute and not provider.day_limit:
        return 1_000_000, 0.0
    left = budget(connection_id=connection.pk, per_minute=provider.rate_limit_per_minute, day_limit=provider.day_limit)
    room = left.minute_left if left.day_left is None else min(left.minute_left, left.day_left)
    if room:
        return room, 0.0
    if left.day_left == 0 and left.day_resumes_at is not None:
        return 0, max(1.0, (left.day_resumes_at - timezone.now()).total_seconds())
    # A window's worth of calls leave it one by one: look again after a twentieth of it, not at each one.
    return 0, max(left.minute_wait, minute_seconds() / 20)


def _record(business_id, connection, items: list[Item], outcomes: list) -> float | None:
    now = timezone.now()
    history, again = [], None
    with transaction.atomic():
        for item, outcome in zip(items, outcomes, strict=True):
            name = connection.name if connection is not None else "the integration"
            if outcome is None:
                status, error = AttachmentStatus.SENT, ""
                history.append(_history(item, f"Attachment uploaded to {name}", "sent"))
            elif isinstance(outcome, ValidationError):
                status, error = AttachmentStatus.FAILED, f"{name} refused the attachment: {outcome.message}"
                history.append(_history(item, error, "failed"))
            elif isinstance(outcome, RateLimited):
                status, error = AttachmentStatus.PENDING, ""
                wait = outcome.retry_after if outcome.retry_after is not None else 5.0
                again = wait if again is None else min(again, wait)
            else:
                status, error = (
                    AttachmentStatus.FAILED,
                    f"The attachment could not be uploaded to {name}: {outcome.message}",
                )
                history.append(_history(item, error, "failed"))
            Item.objects.for_business(business_id).filter(
                pk=item.pk, attachment_status=AttachmentStatus.SENDING
            ).update(attachment_status=status, attachment_error=error[:500], attachment_status_at=now)
        ItemHistory.objects.bulk_create(history)
    return again


def _history(item: Item, reason: str, after: str) -> ItemHistory:
    return ItemHistory(
        business_id=item.business_id, item=item, field="attachment_status", before="", after=after, reason=reason[:255]
    )


def attachment_retry(*, business, actor, item_id) -> Item:
    """**Retry attachment**: a published item whose attachment was not uploaded tries again (the task sends it)."""
    from dext_connections.errors import Conflict
    from publishing.services._common import item_get
    from publishing.tasks import send_attachments

    item = item_get(business=business, item_id=item_id)
    if item.state != ItemState.PUBLISHED or item.attachment_status != AttachmentStatus.FAILED:
        raise Conflict("nothing_to_retry", "This item has no attachment waiting to be uploaded again.")
    with transaction.atomic():
        Item.objects.for_business(business).filter(pk=item.pk, attachment_status=AttachmentStatus.FAILED).update(
            attachment_status=AttachmentStatus.PENDING, attachment_error="", attachment_status_at=timezone.now()
        )
        ItemHistory.objects.create(
            business_id=business.pk,
            item=item,
            actor=actor if actor is not None and actor.is_authenticated else None,
            field="attachment_status",
            before=AttachmentStatus.FAILED,
            after=AttachmentStatus.PENDING,
            reason="Retry attachment",
        )
        transaction.on_commit(lambda: send_attachments.apply_async(args=[str(business.pk), [str(item.pk)]]))
    item.refresh_from_db()
    return item


def attachments_sweep(*, limit: int = 200) -> int:
    """Pending uploads nobody is sending (their task was lost) and claims whose worker died: send them again."""
    from publishing.tasks import send_attachments

    stale = timezone.now() - timedelta(seconds=settings.PUBLISH_LEASE_SECONDS)
    rows = list(
        Item.objects.unscoped()
        .filter(
            state=ItemState.PUBLISHED,
            attachment_status__in=[AttachmentStatus.PENDING, AttachmentStatus.SENDING],
            attachment_status_at__lt=stale,
        )
        .values_list("business_id", "pk")[:limit]
    )
    by_business: dict = {}
    for business_id, item_id in rows:
        by_business.setdefault(business_id, []).append(item_id)
    for business_id, ids in by_business.items():
        Item.objects.for_business(business_id).filter(pk__in=ids).update(
            attachment_status=AttachmentStatus.PENDING, attachment_status_at=timezone.now()
        )
        send_attachments.apply_async(args=[str(business_id), [str(i) for i in ids]])
    return len(rows)
