"""QuickBooks Desktop publishing, one qbXML request at a time, handed to the Web Connector when it polls.

qbXML has no idempotency key, so a document walks a few steps: look for a bill with the same vendor and
RefNumber first (a repeat after a lost answer finds the first bill), make sure the vendor exists, then add the
bill (or the invoice, for sales). The caller (publishing's Web Connector work source) keeps which step each
document is at; this client builds each step's request and reads QuickBooks' answer to it.
"""

from __future__ import annotations

from integrations import sandbox_hooks
from integrations.providers.base import ExternalRef, PullAnswer, ValidationError
from integrations.providers.document import PublishDocument
from integrations.providers.quickbooks_desktop import qbxml

QUERY, VENDOR, VENDOR_ADD, ADD = "query", "vendor", "vendor_add", "add"
DEFAULT_SALES_ITEM = "Services"
NAME_NOT_UNIQUE = qbxml.STATUS_NAME_NOT_UNIQUE  # adding a vendor that exists already: what we wanted


class QuickBooksDesktopClient:
    """A pull client (:class:`~integrations.providers.base.PullClient`) bound to one connection."""

    def __init__(self, connection):
        self.connection = connection

    def publish(self, doc: PublishDocument):
        raise ValidationError("QuickBooks Desktop documents are sent when its Web Connector next polls.")

    def first_step(self, doc: PublishDocument) -> str:
        if doc.kind == "sales":
            return ADD
        return QUERY if doc.invoice_number else VENDOR

    def next_request(self, doc: PublishDocument, step: str) -> str:
        request_id = step
        memo = f"Dext {doc.reference}"
        if doc.kind == "sales":
            return qbxml.invoice_add_rq(
                customer_name=doc.contact_name,
                txn_date=doc.date,
                due_date=doc.due_date,
                ref_number=doc.invoice_number,
                memo=memo,
                lines=[(DEFAULT_SALES_ITEM, doc.total, doc.description or doc.contact_name)],
                request_id=request_id,
            )
        vendor = doc.contact_name
        if step == QUERY:
            return qbxml.bill_query_rq(vendor, doc.invoice_number, request_id=request_id)
        if step == VENDOR:
            return qbxml.vendor_query_rq(vendor, request_id=request_id)
        if step == VENDOR_ADD:
            return qbxml.vendor_add_rq(vendor, request_id=request_id)
        return qbxml.bill_add_rq(
            vendor_name=vendor,
            txn_date=doc.date,
            due_date=doc.due_date,
            ref_number=doc.invoice_number,
            memo=memo,
            lines=[(doc.category, doc.total, doc.description or vendor)],
            request_id=request_id,
        )

    def read_response(self, doc: PublishDocument, step: str, response: str) -> PullAnswer:
        responses = qbxml.parse_response(response)
        answer = responses[0] if responses else {"statusCode": -1, "statusMessage": "QuickBooks sent no answer."}
        code, message = answer.get("statusCode"), answer.get("statusMessage") or ""
        if step == QUERY:
            same = [r for r in answer.get("rets", []) if r.get("RefNumber") == doc.invoice_number]
            if code == qbxml.STATUS_OK and same:
                return self._landed(doc, same[0].get("TxnID", ""))
            return PullAnswer(next_step=VENDOR)
        if step == VENDOR:
            return PullAnswer(next_step=ADD if code == qbxml.STATUS_OK else VENDOR_ADD)
        if step == VENDOR_ADD:
            if code in (qbxml.STATUS_OK, NAME_NOT_UNIQUE):
                return PullAnswer(next_step=ADD)
            refused = message or f"QuickBooks Desktop could not add the vendor ({code})."
            return PullAnswer(outcome=ValidationError(refused))
        if code == qbxml.STATUS_OK:
            return self._landed(doc, answer.get("TxnID", ""))
        return PullAnswer(outcome=ValidationError(message or f"QuickBooks Desktop refused the document ({code})."))

    def request_failed(self, doc: PublishDocument, step: str, error: str) -> ValidationError:
        return ValidationError(f"QuickBooks Desktop could not process the request: {error}")

    def _landed(self, doc: PublishDocument, txn_id: str) -> PullAnswer:
        """The document is in QuickBooks; the provider sandbox (when on) lists it with what its other providers got."""
        sandbox_hooks.record_pulled_document(
            self.connection.provider,
            external_id=txn_id,
            reference=doc.reference,
            type="InvoiceAdd" if doc.kind == "sales" else "BillAdd",
            total=str(doc.total),
        )
        return PullAnswer(outcome=ExternalRef(external_id=txn_id))
