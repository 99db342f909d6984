"""QuickBooks Desktop publishing: the work source that the Web Connector's SOAP service drains.

Each waiting job walks a few qbXML steps, one request per poll, because qbXML has no idempotency
key: look for a bill with the same vendor and reference first (a repeat after a lost answer finds
the first bill), make sure the vendor exists, then add the bill (or the invoice, for sales).
"""

from __future__ import annotations

from django.utils import timezone

from integrations.providers.base import ExternalRef, ValidationError
from integrations.qbwc import qbxml
from publishing.models import Item, PublishJob, PublishJobStatus

QUERY, VENDOR, VENDOR_ADD, ADD = "query", "vendor", "vendor_add", "add"
DEFAULT_SALES_ITEM = "Services"


def _waiting(connection):
    return PublishJob.objects.for_business(connection.business_id).filter(
        connection=connection, status=PublishJobStatus.WAITING_WEB_CONNECTOR
    )


def _first_step(item: Item) -> str:
    if item.kind == "sales":
        return ADD
    return QUERY if item.invoice_number else VENDOR


def _request(step: str, item: Item, request_id: str) -> str:
    if item.kind == "sales":
        return qbxml.invoice_add_rq(
            customer_name=item.customer.name,
            txn_date=item.date,
            due_date=item.due_date,
            ref_number=item.invoice_number,
            memo=f"Dext {item.pk}",
            lines=[(DEFAULT_SALES_ITEM, item.total, item.description or item.customer.name)],
            request_id=request_id,
        )
    vendor = item.supplier.name
    if step == QUERY:
        return qbxml.bill_query_rq(vendor, item.invoice_number, request_id=request_id)
    if step == VENDOR:
        return qbxml.vendor_query_rq(vendor, request_id=request_id)
    if step == VENDOR_ADD:
        return qbxml.vendor_add_rq(vendor, request_id=request_id)
    return qbxml.bill_add_rq(
        vendor_name=vendor,
        txn_date=item.date,
        due_date=item.due_date,
        ref_number=item.invoice_number,
        memo=f"Dext {item.pk}",
        lines=[(item.category, item.total, item.description or vendor)],
        request_id=request_id,
    )


class PublishingWebConnectorWork:
    """Hands out the next qbXML request of a connection's waiting jobs and applies the answers."""

    def next_request(self, connection):
        job = _waiting(connection).select_related("item__supplier", "item__customer").order_by("created_at").first()
        if job is None:
            return None
        step = job.web_connector_step or _first_step(job.item)
        if job.web_connector_step != step:
            PublishJob.objects.for_business(job.business_id).filter(pk=job.pk).update(web_connector_step=step)
        return f"{job.pk}:{step}", _request(step, job.item, request_id=step)

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
        responses = qbxml.parse_response(response_xml)
        answer = responses[0] if responses else {"statusCode": -1, "statusMessage": "QuickBooks sent no answer."}
        code, message = answer.get("statusCode"), answer.get("statusMessage") or ""
        if step == QUERY:
            same = [r for r in answer.get("rets", []) if r.get("RefNumber") == job.item.invoice_number]
            if code == 0 and same:
                return self._succeed(job, same[0].get("TxnID", ""))
            return self._advance(job, VENDOR)
        if step == VENDOR:
            return self._advance(job, ADD if code == 0 else VENDOR_ADD)
        if step == VENDOR_ADD:
            if code in (0, 3100):  # 3100: the name exists already, which is what we wanted
                return self._advance(job, ADD)
            return self._fail(job, message or f"QuickBooks Desktop could not add the vendor ({code}).")
        if code == 0:
            return self._succeed(job, answer.get("TxnID", ""))
        return self._fail(job, message or f"QuickBooks Desktop refused the document ({code}).")

    def request_failed(self, connection, request_key: str, error: str) -> None:
        job, _ = self._job(connection, request_key)
        if job is not None:
            self._fail(job, f"QuickBooks Desktop could not process the request: {error}")

    def _advance(self, job: PublishJob, step: str) -> None:
        PublishJob.objects.for_business(job.business_id).filter(pk=job.pk).update(web_connector_step=step)
        return None

    def _succeed(self, job: PublishJob, txn_id: str) -> None:
        from integrations.sandbox_hooks import record_quickbooks_desktop_document
        from publishing.worker import _record

        _record([job], [ExternalRef(external_id=txn_id)], started=timezone.now(), duration_ms=0)
        record_quickbooks_desktop_document(job=job, txn_id=txn_id)
        return None

    def _fail(self, job: PublishJob, message: str) -> str:
        from publishing.worker import _record

        _record([job], [ValidationError(message)], started=timezone.now(), duration_ms=0)
        return message
