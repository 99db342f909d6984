"""Attachments: what may be attached (type by content, size), and replacing an item's attachment."""

from __future__ import annotations

from django.db import transaction

from accounts.models import Business, User
from dext_connections.errors import ApplicationError, Conflict
from publishing.models import IN_FLIGHT_STATES, Item
from publishing.services._common import history_entry, item_get

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
}


def attachment_sniff(head: bytes) -> str | None:
    """The content type of a file from its first bytes (never from its name or the browser's word)."""
    if head.startswith(b"%PDF-"):  # a PDF starts with its header; "%PDF-" further in is some other file
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _attachment_refused(message: str) -> ApplicationError:
    return ApplicationError("invalid", message, extra={"errors": {"attachment": [message]}})


def attachment_check(file) -> str:
    """Size (≤ 10 MB) and type (PDF, PNG, JPEG, GIF, WebP by content) of an upload; its content type."""
    size = getattr(file, "size", None)
    if not size:
        raise _attachment_refused("The file is empty.")
    if size > MAX_ATTACHMENT_BYTES:
        raise _attachment_refused(f"The file is {size / 1024 / 1024:.1f} MB; attachments can be at most 10 MB.")
    file.seek(0)
    head = file.read(1024)
    file.seek(0)
    content_type = attachment_sniff(head)
    if content_type is None:
        raise _attachment_refused(
            "Only PDF, PNG, JPEG, GIF and WebP files can be attached; this file is none of those."
        )
    # Store it under a name whose extension matches what the file really is.
    stem = (getattr(file, "name", "") or "attachment").rsplit("/", 1)[-1].rsplit(".", 1)[0][:80] or "attachment"
    file.name = f"{stem}.{ATTACHMENT_TYPES[content_type]}"
    return content_type


def item_attachment_set(*, business: Business, actor: User | None, item_id, file) -> Item:
    attachment_check(file)
    with transaction.atomic():
        item = item_get(business=business, item_id=item_id)
        item = Item.objects.for_business(business).select_for_update().get(pk=item.pk)
        if item.state in IN_FLIGHT_STATES:
            raise Conflict("item_in_flight", "This item is being published; wait until it finishes to edit it.")
        before = item.attachment.name if item.attachment else ""
        item.attachment = file
        item.save(update_fields=["attachment", "updated_at"])
        history_entry(
            item, actor, "attachment", before.rsplit("/", 1)[-1], item.attachment.name.rsplit("/", 1)[-1]
        ).save()
    return item
