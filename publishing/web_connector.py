"""The work source the Web Connector's SOAP service drains (:mod:`integrations.qbwc.queue`), for connections of
pull-delivery providers (QuickBooks Desktop).

Publishing keeps the jobs and which step each is at; the provider's pull client
(:class:`~integrations.providers.base.PullClient`) builds each step's request from the item's document and reads
the answer to it. This module knows nothing of the requests' language.
"""

from __future__ import annotations

from django.utils import timezone

from integrations.providers import registry
from integrations.providers.base import ExternalRef, PullAnswer
from publishing import worker
from publishing.models import PublishJob, PublishJobStatus


def _waiting(connection):
    return PublishJob.objects.for_business(connection.business_id).filter(
        connection=connection, status=PublishJobStatus.WAITING_WEB_CONNECTOR
    )


def _document(job: PublishJob):
    return worker.document_for(job.item, job, with_attachment=False)


class PublishingWebConnectorWork:
    """Hands out the next request of a connection's waiting jobs and applies the answers."""

    def next_request(self, connection):
        job = _waiting(connection).select_related("item__supplier", "item__customer").order_by("created_at").first()
        if job is None:
            return None
        client = registry.get(connection.provider).pull_client(connection)
        document = _document(job)
        step = job.web_connector_step or client.first_step(document)
        if job.web_connector_step != step:
            PublishJob.objects.for_business(job.business_id).filter(pk=job.pk).update(web_connector_step=step)
        return f"{job.pk}:{step}", client.next_request(document, step)

    def remaining(self, connection) -> int:
        return _waiting(connection).count()

    def _job(self, connection, request_key: str) -> tuple[PublishJob | None, str]:
        job_id, _, step = request_key.partition(":")
        job = _waiting(connection).select_for_update().select_related("item", "connection").filter(pk=job_id).first()
        return job, step

    def apply_response(self, connection, request_key: str, response_xml: str) -> str | None:
        job, step = self._job(connection, request_key)
        if job is None or step != job.web_connector_step:
            return None  # an answer to a step already applied (the Web Connector repeated itself)
        client = registry.get(connection.provider).pull_client(connection)
        answer: PullAnswer = client.read_response(_document(job), step, response_xml)
        if answer.next_step:
            PublishJob.objects.for_business(job.business_id).filter(pk=job.pk).update(
                web_connector_step=answer.next_step
            )
            return None
        worker._record([job], [answer.outcome], started=timezone.now(), duration_ms=0)
        return None if isinstance(answer.outcome, ExternalRef) else answer.outcome.message

    def request_failed(self, connection, request_key: str, error: str) -> None:
        job, step = self._job(connection, request_key)
        if job is not None:
            client = registry.get(connection.provider).pull_client(connection)
            failure = client.request_failed(_document(job), step, error)
            worker._record([job], [failure], started=timezone.now(), duration_ms=0)
