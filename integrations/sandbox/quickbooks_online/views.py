"""QuickBooks Online's Accounting API (``/v3/company/{realmId}/…``)."""

from django.http import HttpRequest, HttpResponse

from integrations.sandbox.quickbooks_online import queries, save, uploads
from integrations.sandbox.quickbooks_online.api import api_call
from integrations.sandbox.quickbooks_online.reference import (
    entity_detail,
    preferences_detail,
)
from integrations.sandbox.quickbooks_online.reference import (
    exchange_rate as rate_detail,
)
from integrations.sandbox.views.common import api_view, respond, respond_saved


def _guard(request: HttpRequest, realm_id: str, **kwargs):
    return api_call(authorization=request.headers.get("Authorization"), realm_id=realm_id)


@api_view(_guard, "POST")
def create(request: HttpRequest, call, realm_id: str, entity: str) -> HttpResponse:
    return respond_saved(
        save.entity_create(call=call, entity=entity, raw=request.body, request_id=request.GET.get("requestid", ""))
    )


@api_view(_guard, "POST")
def batch(request: HttpRequest, call, realm_id: str) -> HttpResponse:
    return respond_saved(save.batch(call=call, raw=request.body, request_id=request.GET.get("requestid", "")))


@api_view(_guard, "GET")
def detail(request: HttpRequest, call, realm_id: str, entity: str, entity_id: str) -> HttpResponse:
    return respond(entity_detail(call=call, entity=entity, entity_id=entity_id))


@api_view(_guard, "GET", "POST")
def query(request: HttpRequest, call, realm_id: str) -> HttpResponse:
    statement = request.GET.get("query", "") if request.method == "GET" else request.body.decode(errors="replace")
    return respond(queries.query(call=call, statement=statement))


@api_view(_guard, "POST")
def upload(request: HttpRequest, call, realm_id: str) -> HttpResponse:
    parts = []
    for index in range(1, 100):
        suffix = f"{index:02d}"
        content = request.FILES.get(f"file_content_{suffix}")
        if content is None:
            break
        metadata_file = request.FILES.get(f"file_metadata_{suffix}")
        metadata = metadata_file.read() if metadata_file else request.POST.get(f"file_metadata_{suffix}", "").encode()
        parts.append(
            uploads.UploadPart(
                metadata=metadata,
                file_name=content.name or f"attachment_{suffix}",
                content_type=content.content_type or "application/octet-stream",
                content=content.read(),
            )
        )
    return respond_saved(uploads.upload(call=call, parts=parts, request_id=request.GET.get("requestid", "")))


@api_view(_guard, "GET")
def cdc(request: HttpRequest, call, realm_id: str) -> HttpResponse:
    return respond(
        queries.cdc(
            call=call, entities=request.GET.get("entities", ""), changed_since=request.GET.get("changedSince", "")
        )
    )


@api_view(_guard, "GET")
def preferences(request: HttpRequest, call, realm_id: str) -> HttpResponse:
    return respond(preferences_detail(call=call))


@api_view(_guard, "GET")
def exchange_rate(request: HttpRequest, call, realm_id: str) -> HttpResponse:
    source = request.GET.get("sourcecurrencycode", "").upper()
    return respond(rate_detail(call=call, source=source, as_of=request.GET.get("asofdate", "")))
