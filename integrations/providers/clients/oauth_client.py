"""An HTTP client that sends a bearer token, refreshing once when the provider says it expired."""

from __future__ import annotations

import httpx

from integrations import tokens
from integrations.providers.base import AuthError
from integrations.providers.clients.base import HttpProviderClient


class OAuthProviderClient(HttpProviderClient):
    def extra_headers(self) -> dict:
        return {}

    def call(self, method: str, url: str, *, headers: dict | None = None, **kwargs) -> httpx.Response:
        token = tokens.access_token(self.connection)
        try:
            return self.send(method, url, headers={**self._headers(token), **(headers or {})}, **kwargs)
        except AuthError:
            # An access token can die before its expiry (revoked, rotated elsewhere): refresh once.
            token = tokens.refresh(self.connection, stale_access_token=token)
            return self.send(method, url, headers={**self._headers(token), **(headers or {})}, **kwargs)

    def _headers(self, token: str) -> dict:
        return {"Authorization": f"Bearer {token}", "Accept": "application/json", **self.extra_headers()}
