"""What a provider is asked to publish for an item: the plain snapshot (PublishDocument) its client reads, with the
item's coding from its integration's lists and its attachment's bytes."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from integrations.providers.document import Attachment, Coding, PublishDocument
from publishing.models import Item, PublishJob


def maybe_sent(item: Item, job: PublishJob) -> bool:
    """Whether an earlier attempt may have reached the provider (this job's, or an earlier job's of the item)."""
    return job.attempts > 1 or item.publish_attempts > 0


def document_for(item: Item, job: PublishJob, *, with_attachment: bool = True) -> PublishDocument:
    """What the provider is asked to publish: a snapshot of the item (and its attachment's bytes, unless the caller
    has no use for them)."""
    attachment = None
    if with_attachment and item.attachment:
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
        job_key=str(job.pk),
        maybe_sent=maybe_sent(item, job),
        sent_before=item.publish_attempts > 0,
        category_ref=_coding(item.category_entry),
        tax_rate_ref=_coding(item.tax_rate_entry),
        payment_account_ref=_coding(item.payment_account_entry),
        source_url=settings.SITE_URL
        + reverse("item_detail", kwargs={"business_id": item.business_id, "item_id": item.pk}),
    )


def _coding(entry) -> Coding | None:
    """A list entry as the provider knows it (its own id, code and name): what the document is coded with."""
    if entry is None:
        return None
    return Coding(external_id=entry.external_id, code=entry.code, name=entry.name, extra=dict(entry.extra))
