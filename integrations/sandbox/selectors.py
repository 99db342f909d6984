"""Reads for the sandbox's own endpoints."""

from integrations.sandbox.models import Document
from integrations.sandbox.values import CENT


def _row(document: Document) -> dict:
    return {
        "id": document.external_id,
        "reference": document.reference,
        "type": document.type,
        "total": None if document.total is None else str(document.total.quantize(CENT)),
        "created_at": document.created_at.isoformat(),
        "updated_at": document.updated_at.isoformat(),
        "organisation": document.organisation.external_id if document.organisation else None,
        "attachments": [a.file_name for a in document.attachments.all()],
    }


def documents_list(*, provider: str) -> list[dict]:
    documents = (
        Document.objects.filter(provider=provider).select_related("organisation").prefetch_related("attachments")
    )
    return [_row(d) for d in documents]


def document_detail(*, provider: str, external_id: str) -> dict | None:
    document = (
        Document.objects.filter(provider=provider, external_id=external_id)
        .select_related("organisation")
        .prefetch_related("attachments")
        .first()
    )
    if document is None:
        return None
    return {
        **_row(document),
        "currency": document.currency,
        "idempotency_key": document.idempotency_key,
        "received": document.received,
        "body": document.body,
        "attachments": [
            {"id": a.external_id, "file_name": a.file_name, "content_type": a.content_type, "size": a.size}
            for a in document.attachments.all()
        ],
    }
