"""QuickBooks Online's ``POST …/upload``: multipart ``file_metadata_01`` + ``file_content_01``, …; an Attachable
per part, linked to the documents its metadata names; idempotent under a ``requestid``. A file QuickBooks does not
take (a type off its list, or too big) is refused inside the 200 answer: that part's ``AttachableResponse`` entry
holds a ``Fault`` instead of an ``Attachable``, and nothing is attached for it."""

import json
from dataclasses import dataclass

from django.db import transaction

from integrations.sandbox import clock, idempotency
from integrations.sandbox.models import Attachment
from integrations.sandbox.quickbooks_online import constants
from integrations.sandbox.quickbooks_online.api import (
    Call,
    intuit_fault,
    invalid_reference,
    meta,
    next_id,
    qbo_time,
    request_id_check,
    required_missing,
)
from integrations.sandbox.quickbooks_online.constants import DOCUMENT_ENTITIES, QBO, UPLOAD_TYPES
from integrations.sandbox.quickbooks_online.lines import business_error
from integrations.sandbox.quickbooks_online.reference import documents_of


@dataclass(frozen=True)
class UploadPart:
    metadata: bytes
    file_name: str
    content_type: str
    content: bytes


def upload(*, call: Call, parts: list[UploadPart], request_id: str = "") -> tuple[int, dict, bool]:
    """``POST …/upload``: an Attachable per part, linked to the documents its metadata names. With a
    ``requestid``, a replay gets the first answer and attaches nothing again."""
    if not parts:
        raise required_missing("file_content_01")
    request_id_check(request_id)

    def run() -> tuple[int, dict]:  # in the replay's transaction
        return 200, _upload(call, parts)

    return idempotency.replay_or_run(provider=QBO, organisation=call.organisation, key=request_id, run=run)


def _upload(call: Call, parts: list[UploadPart]) -> dict:
    answers = []
    with transaction.atomic():
        for part in parts:
            try:
                metadata = json.loads(part.metadata or b"{}")
            except (ValueError, UnicodeDecodeError):
                metadata = None
            if not isinstance(metadata, dict):
                raise intuit_fault("Request has invalid or unsupported property", "file_metadata is not JSON", "2010")
            refs = metadata.get("AttachableRef") or []
            documents = []
            for ref in refs:
                entity_ref = ref.get("EntityRef") if isinstance(ref, dict) else None
                if not isinstance(entity_ref, dict):
                    raise required_missing("AttachableRef.EntityRef")
                kind = DOCUMENT_ENTITIES.get(str(entity_ref.get("type", "")).lower())
                document = (
                    documents_of(call.organisation, kind).filter(external_id=str(entity_ref.get("value"))).first()
                    if kind
                    else None
                )
                if document is None:
                    raise invalid_reference(str(entity_ref.get("type")), entity_ref.get("value"))
                documents.append(document)
            file_name = metadata.get("FileName") or part.file_name
            content_type = metadata.get("ContentType") or part.content_type
            refused = _refusal(file_name, part.content)
            if refused is not None:
                answers.append({"Fault": refused.body["Fault"]})
                continue
            attachable_id = next_id(call.organisation)
            for document in documents:
                Attachment.objects.create(
                    document=document,
                    external_id=attachable_id,
                    file_name=file_name,
                    content_type=content_type,
                    content=part.content,
                    size=len(part.content),
                    created_at=clock.now(),
                )
            answers.append(
                {
                    "Attachable": {
                        "Id": attachable_id,
                        "SyncToken": "0",
                        "FileName": file_name,
                        "ContentType": content_type,
                        "Size": len(part.content),
                        "AttachableRef": refs,
                        "FileAccessUri": f"/v3/company/{call.organisation.external_id}/download/{attachable_id}",
                        "domain": "QBO",
                        "sparse": False,
                        "MetaData": meta(clock.now(), clock.now()),
                    }
                }
            )
    return {"AttachableResponse": answers, "time": qbo_time()}


def _refusal(file_name: str, content: bytes):
    """The fault of a file QuickBooks does not take, or None."""
    extension = file_name.rsplit(".", 1)[-1].lower() if "." in file_name else ""
    if extension not in UPLOAD_TYPES:
        return business_error(f"Unsupported file format: {file_name}. Attach a file of an approved type.", "FileName")
    if len(content) > constants.UPLOAD_MAX_BYTES:
        return business_error(f"{file_name} is larger than the 100 MB a file may be.", "FileName")
    return None
