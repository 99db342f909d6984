"""The work source the Web Connector's SOAP service drains (:mod:`integrations.qbwc.queue`), for connections of
pull-delivery providers (QuickBooks Desktop).

Publishing keeps the jobs and which step each is at; the provider's pull client
(:class:`~integrations.providers.base.PullClient`) builds each step's request from the item's document and reads
the answer to it. This module knows nothing of the requests' language.

A step handed out is marked as sent (``SENT``) until its answer comes. A step still marked when it is next handed
out was never answered (the PC went off, QuickBooks could not work): the document starts again from its first step,
which is the pull client's look-up for a document already there, never a second add.

A document's refusal is recorded on its item and the session goes on with the next request.
"""

from __future__ import annotations

import logging

from django.utils import timezone

from integrations.providers import registry
from integrations.providers.base import ExternalRef, PullAnswer, ValidationError
from publishing import documents, worker
from publishing.models import PublishJob, PublishJobStatus

log = logging.getLogger(__name__)

SENT = "!"  # suffix of a step handed out and not answered yet
MAX_REFUSED_PER_CALL = 50  # documents found unsendable in one call before the next is handed out anyway


def _waiting(connection):
    return PublishJob.objects.for_business(connection.business_id).filter(
        connection=connection, status=PublishJobStatus.WAITING_WEB_CONNECTOR
    )


def _document(job: PublishJob):
    return documents.document_for(job.item, job, with_attachment=False)


def _set_step(job: PublishJob, step: str) -> None:
    PublishJob.objects.for_business(job.business_id).filter(pk=job.pk).update(web_connector_step=step)
    job.web_connector_step = step


class PublishingWebConnectorWork:
    """Hands out the next request of a connection's waiting jobs and applies the answers."""

    def next_request(self, connection):
        client = registry.get(connection.provider).pull_client(connection)
        for _ in range(MAX_REFUSED_PER_CALL):
            job = (
                _waiting(connection)
                .select_for_update(of=("self",))
                .select_related("item__supplier", "item__customer")
                .order_by("created_at")
                .first()
            )
            if job is None:
                return None
            document = _document(job)
            stored = job.web_connector_step
            step = client.first_step(document) if not stored or stored.endswith(SENT) else stored
            try:
                request = client.next_request(document, step)
            except ValidationError as refused:  # the document cannot be sent as it is (e.g. not coded)
                worker._record([job], [refused], started=timezone.now(), duration_ms=0)
                continue
            _set_step(job, step + SENT)
            return f"{job.pk}:{step}", request
        return None

    def remaining(self, connection) -> int:
        return _waiting(connection).count()

    def _job(self, connection, request_key: str) -> tuple[PublishJob | None, str]:
        job_id, _, step = request_key.partition(":")
        job = _waiting(connection).select_for_update().select_related("item", "connection").filter(pk=job_id).first()
        return job, step

    def apply_response(self, connection, request_key: str, response_xml: str) -> str | None:
        job, step = self._job(connection, request_key)
        if job is None or job.web_connector_step != step + SENT:
            return None  # an answer to a step already applied (the Web Connector repeated itself)
        client = registry.get(connection.provider).pull_client(connection)
        answer: PullAnswer = client.read_response(_document(job), step, response_xml)
        if answer.next_step:
            _set_step(job, answer.next_step)
            return None
        worker._record([job], [answer.outcome], started=timezone.now(), duration_ms=0)
        if not isinstance(answer.outcome, ExternalRef):
            log.info("QuickBooks Desktop refused a document", extra={"job": str(job.pk)})
        return None  # a refusal is the document's own (on its item); the session goes on

    def request_failed(self, connection, request_key: str, error: str) -> None:
        job, step = self._job(connection, request_key)
        if job is not None and job.web_connector_step == step + SENT:
            client = registry.get(connection.provider).pull_client(connection)
            failure = client.request_failed(_document(job), step, error)
            worker._record([job], [failure], started=timezone.now(), duration_ms=0)
