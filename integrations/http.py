"""HTTP to the providers: one place that builds httpx clients and resolves provider endpoints.

Each provider package declares its base URLs (:class:`~integrations.providers.base.Endpoint`: an environment
variable, the real service's URL, the sandbox's path). They resolve here, at call time: the environment variable
when it is set (e.g. ``XERO_API_BASE=https://api.xero.com``), else the sandbox when ``SANDBOX_ENABLED``, else the
real service. A sandbox base follows ``SITE_URL``, so the port of ``make run`` or a test's live server is kept.
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

import environ
import httpx
from django.conf import settings

if TYPE_CHECKING:
    from integrations.providers.base import Endpoint

SANDBOX = "{sandbox}"  # stands for SITE_URL + "/sandbox" in a configured base

_env = environ.Env()
_transport_override: httpx.BaseTransport | None = None


def configured_base(endpoint: Endpoint) -> str:
    """The base as configured: the environment's value, else ``{sandbox}<path>`` or the real URL."""
    default = f"{SANDBOX}{endpoint.sandbox}" if settings.SANDBOX_ENABLED else endpoint.real
    return _env.str(endpoint.env_var, default=default)


def url(endpoint: Endpoint, path: str = "") -> str:
    """An absolute provider URL."""
    base = configured_base(endpoint).replace(SANDBOX, f"{settings.SITE_URL}/sandbox")
    return base.rstrip("/") + path


def external_origin(endpoint: Endpoint) -> str | None:
    """``scheme://host`` of the endpoint, or None when the sandbox (this site) stands in for it."""
    base = configured_base(endpoint)
    if base.startswith(SANDBOX):
        return None
    scheme, _, rest = base.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def set_transport(transport: httpx.BaseTransport | None) -> None:
    """Tests route provider HTTP in-process (httpx.WSGITransport into the sandbox); None restores sockets."""
    global _transport_override
    _transport_override = transport


def client_kwargs() -> dict:
    kwargs: dict = {"timeout": settings.PROVIDER_HTTP_TIMEOUT_SECONDS}
    if _transport_override is not None:
        kwargs["transport"] = _transport_override
    return kwargs


def client(**kwargs) -> httpx.Client:
    return httpx.Client(**{**client_kwargs(), **kwargs})


def shared_post(url: str, **kwargs) -> httpx.Response:
    """One POST on a client of its own (closed afterwards)."""
    with client() as session:
        return session.post(url, **kwargs)


def retry_after_seconds(response: httpx.Response, default: float = 5.0) -> float:
    """The seconds a ``Retry-After`` header asks for (a number or an HTTP date), or ``default``."""
    raw = response.headers.get("Retry-After")
    if not raw:
        return default
    try:
        return max(0.0, float(raw))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(raw).timestamp() - time.time())
        except (TypeError, ValueError):
            return default
