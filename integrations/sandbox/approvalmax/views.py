"""ApprovalMax's Public API stand-in (``/api/v1/…``); see :mod:`integrations.sandbox.approvalmax.api`."""

from django.http import HttpRequest, HttpResponse

from integrations.sandbox.approvalmax import api as approvalmax
from integrations.sandbox.views.common import api_view, respond


def _guard(request: HttpRequest, company_id: str | None = None, **kwargs):
    return approvalmax.api_call(authorization=request.headers.get("Authorization"), company_id=company_id)


@api_view(_guard, "GET")
def companies(request: HttpRequest, call) -> HttpResponse:
    return respond(approvalmax.companies_list(call=call))


@api_view(_guard, "GET", "POST")
def bills(request: HttpRequest, call, company_id: str) -> HttpResponse:
    if request.method == "GET":
        return respond(approvalmax.bills_list(call=call, reference=request.GET.get("reference")))
    return respond(approvalmax.bill_create(call=call, raw=request.body), status=201)


@api_view(_guard, "GET")
def bill(request: HttpRequest, call, company_id: str, request_id: str) -> HttpResponse:
    return respond(approvalmax.bill_detail(call=call, request_id=request_id))
