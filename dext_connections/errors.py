"""One application error type and the DRF handler that renders API.md's error envelope."""

import math

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response


class ApplicationError(Exception):
    """A refusal with a machine ``code`` and a sentence for a person.

    Services raise it; the API handler and the page views render it.
    """

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, code: str, detail: str, *, status_code: int | None = None, extra: dict | None = None):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        if status_code is not None:
            self.status_code = status_code
        self.extra = extra or {}


class Conflict(ApplicationError):
    """Refused by a rule (409)."""

    status_code = status.HTTP_409_CONFLICT


class NotAllowed(ApplicationError):
    status_code = status.HTTP_403_FORBIDDEN

    def __init__(self, detail: str = "Your role does not allow this."):
        super().__init__("not_allowed", detail)


class NotFound(ApplicationError):
    status_code = status.HTTP_404_NOT_FOUND

    def __init__(self, detail: str = "Not found."):
        super().__init__("not_found", detail)


class Throttled(ApplicationError):
    """Too many attempts (429); ``retry_after`` seconds go out as the Retry-After header."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS

    def __init__(self, detail: str, *, retry_after: int):
        super().__init__("throttled", detail)
        self.retry_after = max(1, int(retry_after))


def _flatten(errors):
    if isinstance(errors, dict):
        return {field: _flatten_list(value) for field, value in errors.items()}
    return {"non_field_errors": _flatten_list(errors)}


def _flatten_list(value):
    if isinstance(value, dict):
        return [f"{k}: {m}" for k, v in value.items() for m in _flatten_list(v)]
    if isinstance(value, list):
        out = []
        for v in value:
            out.extend(_flatten_list(v) if isinstance(v, list | dict) else [str(v)])
        return out
    return [str(value)]


def api_exception_handler(exc, context):
    """Render every error as ``{"code", "detail"[, "errors"]}``."""
    if isinstance(exc, ApplicationError):
        body = {"code": exc.code, "detail": exc.detail, **exc.extra}
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after else None
        return Response(body, status=exc.status_code, headers=headers)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None  # a real server error: let Django log it and answer 500

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(math.ceil(exc.wait))

    if isinstance(exc, exceptions.ValidationError):
        body = {"code": "invalid", "detail": "Some fields are not valid.", "errors": _flatten(exc.detail)}
    elif isinstance(exc, exceptions.ParseError):
        body = {"code": "malformed_request", "detail": f"The request body could not be read: {exc.detail}"}
    elif isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        body = {"code": "not_authenticated", "detail": str(exc.detail)}
    elif isinstance(exc, exceptions.PermissionDenied):
        detail = str(exc.detail)
        if detail == exceptions.PermissionDenied.default_detail:
            detail = "Your role does not allow this."
        body = {"code": "not_allowed", "detail": detail}
    elif isinstance(exc, exceptions.NotFound):
        body = {"code": "not_found", "detail": "Not found."}
    elif isinstance(exc, exceptions.Throttled):
        wait = f" Try again in {math.ceil(exc.wait)} seconds." if exc.wait else " Try again later."
        body = {"code": "throttled", "detail": f"Too many requests.{wait}"}
    else:
        body = {"code": exc.default_code, "detail": str(exc.detail)}
    return Response(body, status=exc.status_code, headers=headers)
