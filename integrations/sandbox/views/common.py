"""Response helpers shared by the sandbox's views, and the sandbox's own endpoints (reset,
documents listing, fault switches)."""

import hmac
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from integrations.sandbox import selectors, services
from integrations.sandbox.errors import SandboxError
from integrations.sandbox.faults import answer, fault_state, write_draw
from integrations.sandbox.models import Provider


def respond(body, *, status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    response = JsonResponse(body, safe=False, status=status, json_dumps_params={"ensure_ascii": False})
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def respond_saved(result: tuple[int, dict, bool]) -> HttpResponse:
    """The answer of a create that may have been a replay (Xero's Idempotency-Key, QuickBooks' requestid)."""
    status, body, replayed = result
    return respond(body, status=status, headers={"X-Sandbox-Idempotent-Replay": "true"} if replayed else None)


def error_response(error: SandboxError) -> HttpResponse:
    if error.content_type == "application/json":
        return respond(error.body, status=error.status, headers=error.headers)
    response = HttpResponse(error.body, status=error.status, content_type=error.content_type)
    for name, value in error.headers.items():
        response[name] = value
    return response


def sandbox_view(*methods: str):
    """CSRF-exempt, limited to ``methods``, and a raised SandboxError becomes the provider's answer."""

    def decorate(view):
        @csrf_exempt
        @require_http_methods(list(methods))
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                return view(request, *args, **kwargs)
            except SandboxError as error:
                return error_response(error)

        return wrapper

    return decorate


def api_view(guard: Callable[..., AbstractContextManager], *methods: str):
    """Like :func:`sandbox_view`, and the call runs inside ``guard(request, **kwargs)`` (token or
    session, tenant, faults, rate limits), which hands the view a ``call``; its headers (rate-limit
    remaining counts) go on every answer. A write's own faults (``slow_work``, ``lost_answer``,
    ``slow_answer``) are drawn here, inside the guard's concurrency slot, around the view's work."""

    def decorate(view):
        @sandbox_view(*methods)
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            with guard(request, **kwargs) as call:
                hit = write_draw(call.provider, request.method)
                try:
                    response = view(request, call, *args, **kwargs)
                except SandboxError as error:
                    response = error_response(error)
                for name, value in call.headers.items():
                    response[name] = value
                if hit is not None and response.status_code < 400:
                    response = answer(hit, request, response)  # the work is done: lose or delay its answer
                return response

        return wrapper

    return decorate


def own_endpoint(*methods: str):
    """The sandbox's own endpoints (documents, faults, reset): open in development (``make run``); anywhere else the
    sandbox is switched on they want ``Authorization: Bearer <SANDBOX_TOKEN>`` (API.md "Sandbox")."""

    def decorate(view):
        @sandbox_view(*methods)
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not settings.IS_DEVELOPMENT:
                given = request.headers.get("Authorization", "")
                expected = f"Bearer {settings.SANDBOX_TOKEN}"
                if not settings.SANDBOX_TOKEN or not hmac.compare_digest(given.encode(), expected.encode()):
                    raise SandboxError(
                        401,
                        {"error": "The sandbox's own endpoints need Authorization: Bearer <SANDBOX_TOKEN>."},
                        headers={"WWW-Authenticate": 'Bearer realm="sandbox"'},
                    )
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def _provider_or_404(provider: str) -> None:
    if provider not in Provider.values:
        raise SandboxError(404, {"error": f"Unknown provider {provider!r}."})


@own_endpoint("POST")
def reset(request: HttpRequest) -> HttpResponse:
    services.sandbox_reset()
    return respond({"reset": True})


@own_endpoint("GET")
def documents(request: HttpRequest, provider: str) -> HttpResponse:
    _provider_or_404(provider)
    return respond(selectors.documents_list(provider=provider))


@own_endpoint("GET")
def document_detail(request: HttpRequest, provider: str, external_id: str) -> HttpResponse:
    _provider_or_404(provider)
    detail = selectors.document_detail(provider=provider, external_id=external_id)
    if detail is None:
        raise SandboxError(404, {"error": "No such document."})
    return respond(detail)


@own_endpoint("GET", "POST")
def faults(request: HttpRequest, provider: str) -> HttpResponse:
    _provider_or_404(provider)
    if request.method == "GET":
        return respond(fault_state(provider))
    try:
        payload = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        payload = None
    if not isinstance(payload, dict):
        raise SandboxError(400, {"error": "Send a JSON object."})
    try:
        state = services.set_fault(
            provider,
            payload.get("mode", "none"),
            rate=payload.get("rate", 1.0),
            retry_after=payload.get("retry_after", 1),
            count=payload.get("count"),
            seed=payload.get("seed"),
            delay=payload.get("delay"),
        )
    except ValueError as error:
        raise SandboxError(400, {"error": str(error)}) from None
    return respond(state)
