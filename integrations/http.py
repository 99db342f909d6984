"""HTTP to the providers: one place that builds httpx clients and resolves provider endpoints."""

import httpx
from django.conf import settings

_transport_override: httpx.BaseTransport | None = None


def endpoint(provider: str, name: str, path: str = "") -> str:
    """An absolute provider URL, following SITE_URL when the sandbox stands in for the provider."""
    base = settings.PROVIDER_ENDPOINTS[provider][name].replace("{sandbox}", f"{settings.SITE_URL}/sandbox")
    return base.rstrip("/") + path


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
