"""Keyset pagination: ``{"results": [...], "next": url | null}``, constant cost at any depth."""

import base64
import json
from datetime import datetime
from uuid import UUID

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q

from dext_connections.errors import ApplicationError

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def _encode(values: list) -> str:
    raw = json.dumps(
        [v.isoformat() if isinstance(v, datetime) else str(v) if isinstance(v, UUID) else v for v in values]
    )
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


_INTEGER_FIELDS = {"AutoField", "BigAutoField", "IntegerField", "BigIntegerField", "PositiveIntegerField"}


def _invalid_cursor() -> ApplicationError:
    return ApplicationError(
        "invalid",
        "The page cursor is not valid; start from the first page.",
        extra={"errors": {"cursor": ["Not a cursor of this list."]}},
    )


def decode_cursor(cursor: str, *, model, fields: tuple[str, str]) -> list:
    """The values a cursor of ``model`` ordered by ``fields`` carries, each checked by its model field: anything
    else (not base64, not JSON, another list's cursor, a hand-edited value) is a 400 ``invalid``, never a 500."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError):  # binascii.Error, UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise _invalid_cursor() from None
    if not isinstance(values, list) or len(values) != len(fields):
        raise _invalid_cursor()
    typed = []
    for name, value in zip(fields, values, strict=True):
        try:
            field = model._meta.get_field(name)
            # Only what _encode writes: integers as JSON numbers, everything else as a string (no NUL: PostgreSQL
            # refuses it in text).
            wanted = int if field.get_internal_type() in _INTEGER_FIELDS else str
            if type(value) is not wanted or wanted is str and "\x00" in value:
                raise _invalid_cursor()
            parsed = field.to_python(value)
        except (DjangoValidationError, FieldDoesNotExist, ValueError, TypeError, OverflowError):
            raise _invalid_cursor() from None
        if parsed is None or isinstance(parsed, int) and not -(2**63) <= parsed < 2**63:  # PostgreSQL's bigint
            raise _invalid_cursor()
        typed.append(parsed)
    return typed


def page_size_from(params, default: int = DEFAULT_PAGE_SIZE) -> int:
    raw = params.get("page_size")
    if raw in (None, ""):
        return default
    try:
        size = int(raw)
    except (TypeError, ValueError):
        raise ApplicationError(
            "invalid", "page_size must be a number.", extra={"errors": {"page_size": ["Not a number."]}}
        ) from None
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ApplicationError(
            "invalid",
            f"page_size must be between 1 and {MAX_PAGE_SIZE}.",
            extra={"errors": {"page_size": ["Out of range."]}},
        )
    return size


def keyset_page(queryset, *, fields: tuple[str, str], cursor: str | None, size: int, descending: bool = True):
    """One page ordered by ``fields`` (a unique pair such as ``("created_at", "id")``), and the next cursor."""
    first, second = fields
    op = "lt" if descending else "gt"
    ordering = [f"-{first}", f"-{second}"] if descending else [first, second]
    qs = queryset.order_by(*ordering)
    if cursor:
        a, b = decode_cursor(cursor, model=queryset.model, fields=fields)
        # The leading range condition lets PostgreSQL seek in the index instead of scanning to the cursor.
        qs = qs.filter(Q(**{f"{first}__{op}e": a})).filter(
            Q(**{f"{first}__{op}": a}) | Q(**{first: a, f"{second}__{op}": b})
        )
    rows = list(qs[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = _encode([getattr(last, first), getattr(last, second)])
    return rows, next_cursor


def next_url(request, cursor: str | None) -> str | None:
    if not cursor:
        return None
    params = request.GET.copy()
    params["cursor"] = cursor
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


def page_response(request, rows, cursor: str | None, serializer_class):
    """The list envelope of API.md: ``{"results": [...], "next": url | null}``."""
    from rest_framework.response import Response

    return Response({"results": serializer_class(rows, many=True).data, "next": next_url(request, cursor)})


def keyset_response(request, queryset, *, fields: tuple[str, str], serializer_class, descending: bool = True):
    """One keyset page of ``queryset`` for an API list endpoint, sized and continued from the query string."""
    rows, cursor = keyset_page(
        queryset,
        fields=fields,
        cursor=request.GET.get("cursor"),
        size=page_size_from(request.GET),
        descending=descending,
    )
    return page_response(request, rows, cursor, serializer_class)
