"""Xero's attachments: raw bytes in the body, one file name per document (the same name again replaces it)."""

import uuid
from urllib.parse import quote

from django.conf import settings
from django.db import transaction

from integrations.sandbox import clock
from integrations.sandbox.models import Attachment, Document
from integrations.sandbox.xero.api import Call, envelope, not_found, validation, xero_problem
from integrations.sandbox.xero.constants import (
    ATTACHMENT_LIMIT,
    ATTACHMENTS_PER_DOCUMENT,
    BANK_TRANSACTION_TYPES,
    INVOICE_TYPES,
)
from integrations.sandbox.xero.documents import documents_of


def attachment_put(
    *, call: Call, endpoint: str, document_id: str, file_name: str, content: bytes, content_type: str
) -> dict:
    types = INVOICE_TYPES if endpoint == "Invoices" else BANK_TRANSACTION_TYPES
    document = documents_of(call, types).filter(external_id=document_id.lower()).first()
    if document is None:
        raise not_found()
    if len(content) > ATTACHMENT_LIMIT:
        raise xero_problem(413, "Payload Too Large", "Attachments may be up to 10 MB")
    if not content:
        raise validation([{"ValidationErrors": [{"Message": "The attachment is empty"}]}])
    now = clock.now()
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        attachment = document.attachments.filter(file_name=file_name).first()
        if attachment is None and document.attachments.count() >= ATTACHMENTS_PER_DOCUMENT:
            raise validation([{"ValidationErrors": [{"Message": "A document may have up to 10 attachments"}]}])
        if attachment is None:
            attachment = Attachment(document=document, external_id=str(uuid.uuid4()), file_name=file_name)
        attachment.content, attachment.size = content, len(content)
        attachment.content_type, attachment.created_at = content_type or "application/octet-stream", now
        attachment.save()
        document.body = {**document.body, "HasAttachments": True}
        document.updated_at = now
        document.save(update_fields=["body", "updated_at"])
    url = f"{settings.SITE_URL}/sandbox/xero/api.xro/2.0/{endpoint}/{document.external_id}/Attachments/"
    return envelope(
        call,
        "Attachments",
        [
            {
                "AttachmentID": attachment.external_id,
                "FileName": file_name,
                "Url": url + quote(file_name),
                "MimeType": attachment.content_type,
                "ContentLength": attachment.size,
            }
        ],
    )
