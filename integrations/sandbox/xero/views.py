"""Xero's ``/connections`` and Accounting API (``/api.xro/2.0/…``)."""

from django.http import HttpRequest, HttpResponse

from integrations.sandbox.views.common import api_view, respond, respond_saved
from integrations.sandbox.xero.api import api_call
from integrations.sandbox.xero.attachments import attachment_put
from integrations.sandbox.xero.connections import connection_delete, connections_list
from integrations.sandbox.xero.constants import SCOPES
from integrations.sandbox.xero.contacts import contact_detail, contacts_list, contacts_save
from integrations.sandbox.xero.documents import (
    bank_transaction_detail,
    bank_transactions_list,
    bank_transactions_save,
    invoice_detail,
    invoices_list,
    invoices_save,
)
from integrations.sandbox.xero.reference import (
    accounts_list,
    organisation_detail,
    tax_rates_list,
    tracking_categories_list,
)


def _guard_for(area: str):
    """The guard of an endpoint whose reads need ``SCOPES[area + ".read"]`` (when there is one) and writes
    ``SCOPES[area]``."""

    def guard(request: HttpRequest, **kwargs):
        reading = request.method == "GET" and f"{area}.read" in SCOPES
        return api_call(
            authorization=request.headers.get("Authorization"),
            tenant_id=request.headers.get("xero-tenant-id"),
            scopes=SCOPES[f"{area}.read" if reading else area],
        )

    return guard


_contacts, _invoices, _bank = _guard_for("contacts"), _guard_for("invoices"), _guard_for("banktransactions")
_settings, _attachments = _guard_for("settings.read"), _guard_for("attachments")


def _identity_guard(request: HttpRequest, **kwargs):
    return api_call(authorization=request.headers.get("Authorization"), tenant_id=None, needs_tenant=False)


def _flag(request: HttpRequest, name: str) -> bool:
    return request.GET.get(name, "").lower() == "true"


def _summarize(request: HttpRequest) -> bool:
    return request.GET.get("summarizeErrors", "true").lower() != "false"


@api_view(_identity_guard, "GET")
def connections(request: HttpRequest, call) -> HttpResponse:
    return respond(connections_list(call=call))


@api_view(_identity_guard, "DELETE")
def connection(request: HttpRequest, call, connection_id: str) -> HttpResponse:
    connection_delete(call=call, connection_id=connection_id)
    return HttpResponse(status=204)


@api_view(_contacts, "GET", "PUT", "POST")
def contacts(request: HttpRequest, call) -> HttpResponse:
    if request.method == "GET":
        return respond(
            contacts_list(
                call=call,
                where=request.GET.get("where"),
                ids=request.GET.get("IDs"),
                page=request.GET.get("page"),
                include_archived=_flag(request, "includeArchived"),
                modified_since=request.headers.get("If-Modified-Since"),
            )
        )
    return respond_saved(
        contacts_save(
            call=call,
            raw=request.body,
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            summarize_errors=_summarize(request),
        )
    )


@api_view(_contacts, "GET")
def contact(request: HttpRequest, call, contact_id: str) -> HttpResponse:
    return respond(contact_detail(call=call, contact_id=contact_id))


@api_view(_invoices, "GET", "PUT", "POST")
def invoices(request: HttpRequest, call) -> HttpResponse:
    if request.method == "GET":
        return respond(
            invoices_list(
                call=call,
                where=request.GET.get("where"),
                ids=request.GET.get("IDs"),
                numbers=request.GET.get("InvoiceNumbers"),
                page=request.GET.get("page"),
                contact_ids=request.GET.get("ContactIDs"),
                statuses=request.GET.get("Statuses"),
            )
        )
    return respond_saved(
        invoices_save(
            call=call,
            raw=request.body,
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            summarize_errors=_summarize(request),
        )
    )


@api_view(_invoices, "GET")
def invoice(request: HttpRequest, call, invoice_id: str) -> HttpResponse:
    return respond(invoice_detail(call=call, invoice_id=invoice_id))


@api_view(_bank, "GET", "PUT", "POST")
def bank_transactions(request: HttpRequest, call) -> HttpResponse:
    if request.method == "GET":
        return respond(bank_transactions_list(call=call, where=request.GET.get("where"), page=request.GET.get("page")))
    return respond_saved(
        bank_transactions_save(
            call=call,
            raw=request.body,
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            summarize_errors=_summarize(request),
        )
    )


@api_view(_bank, "GET")
def bank_transaction(request: HttpRequest, call, transaction_id: str) -> HttpResponse:
    return respond(bank_transaction_detail(call=call, transaction_id=transaction_id))


@api_view(_attachments, "PUT", "POST")
def attachment(request: HttpRequest, call, endpoint: str, document_id: str, file_name: str) -> HttpResponse:
    return respond(
        attachment_put(
            call=call,
            endpoint=endpoint,
            document_id=document_id,
            file_name=file_name,
            content=request.body,
            content_type=request.content_type or "",
        )
    )


@api_view(_settings, "GET")
def accounts(request: HttpRequest, call) -> HttpResponse:
    return respond(
        accounts_list(
            call=call, where=request.GET.get("where"), modified_since=request.headers.get("If-Modified-Since")
        )
    )


@api_view(_settings, "GET")
def tax_rates(request: HttpRequest, call) -> HttpResponse:
    return respond(tax_rates_list(call=call, where=request.GET.get("where")))


@api_view(_settings, "GET")
def tracking_categories(request: HttpRequest, call) -> HttpResponse:
    return respond(
        tracking_categories_list(
            call=call, where=request.GET.get("where"), include_archived=_flag(request, "includeArchived")
        )
    )


@api_view(_settings, "GET")
def organisation(request: HttpRequest, call) -> HttpResponse:
    return respond(organisation_detail(call=call))
