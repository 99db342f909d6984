"""Bill.com's v3 API (``/connect/v3/…``)."""

from django.http import HttpRequest, HttpResponse

from integrations.sandbox.bill_com import api as bill_com
from integrations.sandbox.views.common import api_view, respond, sandbox_view


def _guard(request: HttpRequest, **kwargs):
    return bill_com.api_call(dev_key=request.headers.get("devKey"), session_id=request.headers.get("sessionId"))


@sandbox_view("POST")
def login(request: HttpRequest) -> HttpResponse:
    return respond(bill_com.login(raw=request.body))


@sandbox_view("POST")
def logout(request: HttpRequest) -> HttpResponse:
    return respond(bill_com.logout(dev_key=request.headers.get("devKey"), session_id=request.headers.get("sessionId")))


@api_view(_guard, "GET", "POST")
def vendors(request: HttpRequest, call) -> HttpResponse:
    if request.method == "GET":
        return respond(bill_com.vendors_list(call=call, params=request.GET))
    return respond(bill_com.vendor_create(call=call, raw=request.body))


@api_view(_guard, "GET")
def vendor(request: HttpRequest, call, vendor_id: str) -> HttpResponse:
    return respond(bill_com.vendor_detail(call=call, vendor_id=vendor_id))


@api_view(_guard, "GET", "POST")
def bills(request: HttpRequest, call) -> HttpResponse:
    if request.method == "GET":
        return respond(bill_com.bills_list(call=call, params=request.GET))
    return respond(bill_com.bill_create(call=call, raw=request.body))


@api_view(_guard, "POST")
def bills_bulk(request: HttpRequest, call) -> HttpResponse:
    return respond(bill_com.bills_bulk_create(call=call, raw=request.body))


@api_view(_guard, "GET")
def bill(request: HttpRequest, call, bill_id: str) -> HttpResponse:
    return respond(bill_com.bill_detail(call=call, bill_id=bill_id))


@api_view(_guard, "GET", "POST")
def bill_document(request: HttpRequest, call, bill_id: str) -> HttpResponse:
    if request.method == "GET":
        return respond(bill_com.bill_documents_list(call=call, bill_id=bill_id))
    upload = next(iter(request.FILES.values()), None) if request.content_type == "multipart/form-data" else None
    content = upload.read() if upload else request.body
    content_type = (upload.content_type if upload else request.content_type) or ""
    return respond(
        bill_com.bill_document_upload(
            call=call, bill_id=bill_id, name=request.GET.get("name"), content=content, content_type=content_type
        )
    )


@api_view(_guard, "GET")
def chart_of_accounts(request: HttpRequest, call) -> HttpResponse:
    return respond(bill_com.chart_list(call=call, params=request.GET))


@api_view(_guard, "POST")
def chart_account_archive(request: HttpRequest, call, account_id: str) -> HttpResponse:
    return respond(bill_com.chart_account_archive(call=call, account_id=account_id))


@api_view(_guard, "GET")
def classifications(request: HttpRequest, call, listed: str) -> HttpResponse:
    return respond(bill_com.classifications_list(call=call, listed=listed, params=request.GET))
