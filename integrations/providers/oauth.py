"""Shared OAuth 2.0 authorization-code machinery (authlib) for the OAuth providers, and where their app
registrations (client id and secret) are read: the environment, with made-up sandbox clients outside production."""

from __future__ import annotations

import time
from abc import abstractmethod
from typing import ClassVar

import environ
import httpx
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.httpx_client import OAuth2Client
from django.conf import settings

from dext_connections.environment import required
from integrations import http
from integrations.providers.base import (
    AuthError,
    AuthKind,
    Endpoint,
    OAuthGrant,
    OAuthRegistration,
    Provider,
    TransientError,
)

_env = environ.Env()


def registration_values(registration: OAuthRegistration, *, provider_name: str) -> dict:
    """``{"client_id", "client_secret"}`` of an app registration. Production has no default: each must be the app
    registered with the provider (ImproperlyConfigured otherwise); development and test fall back to the made-up
    clients the sandbox accepts."""
    if settings.IS_PRODUCTION:
        why = f"Production signs in to {provider_name} with the app registered there."
        return {
            "client_id": required(registration.client_id_env, why),
            "client_secret": required(registration.client_secret_env, why),
        }
    return {
        "client_id": _env.str(registration.client_id_env, default=registration.sandbox_client_id),
        "client_secret": _env.str(registration.client_secret_env, default=registration.sandbox_client_secret),
    }


def registrations_check(providers: list[Provider]) -> None:
    """Raise ImproperlyConfigured for the first OAuth provider whose registration is missing (production only)."""
    for provider in providers:
        if isinstance(provider, OAuth2Provider):
            provider.client_registration()


def authorize_origins(providers: list[Provider]) -> list[str]:
    """The origins of the OAuth providers' authorize pages, but for those the sandbox (this site) stands in for."""
    origins = (http.external_origin(p.authorize_base) for p in providers if isinstance(p, OAuth2Provider))
    return [origin for origin in origins if origin]


class OAuth2Provider(Provider):
    auth = AuthKind.OAUTH2
    scopes: ClassVar[tuple[str, ...]]
    uses_pkce: ClassVar[bool] = True
    registration: ClassVar[OAuthRegistration]
    # The consent page a Connect form is sent to: its base (whose origin the Content-Security-Policy's form-action
    # allows) and path.
    authorize_base: ClassVar[Endpoint]
    authorize_path: ClassVar[str]

    def authorize_endpoint(self) -> str:
        return http.url(self.authorize_base, self.authorize_path)

    def client_registration(self) -> dict:
        return registration_values(self.registration, provider_name=self.name)

    @abstractmethod
    def token_endpoint(self) -> str: ...

    @abstractmethod
    def organisations(self, *, token: dict, callback_params: dict) -> list[dict]:
        """The organisations this grant reaches: ``[{"id", "name"}]`` (and ``"credentials"``: more to keep with the
        connection's tokens, such as Xero's connection id)."""

    def revocation_endpoint(self) -> str | None:
        """RFC 7009 token revocation (form-encoded, client authenticated), or None when the provider has none."""
        return None

    def revoke(self, *, credentials: dict, external_tenant_id: str) -> None:
        """Revoke the refresh token, which ends the grant (and its access tokens)."""
        endpoint = self.revocation_endpoint()
        if not endpoint or not credentials.get("refresh_token"):
            return
        with self._session() as session:
            self._revoke_call(
                lambda: session.revoke_token(
                    endpoint, token=credentials["refresh_token"], token_type_hint="refresh_token"
                )
            )

    @staticmethod
    def _revoke_call(call) -> None:
        try:
            response = call()
        except httpx.HTTPError as exc:
            raise TransientError(f"Could not reach the provider: {exc.__class__.__name__}.") from None
        if response.status_code >= 500:
            raise TransientError(f"The provider answered {response.status_code}.")
        if response.status_code >= 400:
            raise AuthError(f"The provider refused the revocation ({response.status_code}).")

    def _session(self, *, redirect_uri: str | None = None, token: dict | None = None) -> OAuth2Client:
        registration = self.client_registration()
        return OAuth2Client(
            client_id=registration["client_id"],
            client_secret=registration["client_secret"],
            scope=" ".join(self.scopes),
            redirect_uri=redirect_uri,
            token=token,
            token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method name, not a secret
            code_challenge_method="S256" if self.uses_pkce else None,
            **http.client_kwargs(),
        )

    def authorization_url(self, *, state: str, code_verifier: str, redirect_uri: str) -> str:
        with self._session(redirect_uri=redirect_uri) as session:
            kwargs = {"code_verifier": code_verifier} if self.uses_pkce else {}
            url, _ = session.create_authorization_url(self.authorize_endpoint(), state=state, **kwargs)
            return url

    def exchange_code(self, *, code: str, code_verifier: str, redirect_uri: str) -> dict:
        with self._session(redirect_uri=redirect_uri) as session:
            kwargs = {"code_verifier": code_verifier} if self.uses_pkce else {}
            return self._token_call(lambda: session.fetch_token(self.token_endpoint(), code=code, **kwargs))

    def refresh_token(self, *, refresh_token: str) -> dict:
        """A new access token (and, where the provider rotates it, refresh token). Only ``invalid_grant`` says the
        grant is gone (AuthError: the connection needs a reconnect); any other refusal (``temporarily_unavailable``,
        ``server_error``, a misconfigured client), a 5xx or the network is TransientError: the refresh token is kept
        and the refresh tried again later."""
        with self._session() as session:
            return self._token_call(
                lambda: session.refresh_token(self.token_endpoint(), refresh_token=refresh_token), refreshing=True
            )

    @staticmethod
    def _token_call(call, *, refreshing: bool = False) -> dict:
        try:
            answer = call()
        except OAuthError as exc:
            if refreshing and exc.error != "invalid_grant":
                raise TransientError(f"The provider could not renew the authorisation now ({exc.error}).") from None
            raise AuthError(f"The provider refused the authorisation ({exc.error}).") from None
        except httpx.HTTPError as exc:
            raise TransientError(f"Could not reach the provider: {exc.__class__.__name__}.") from None
        except ValueError:  # an answer that is no token (an error page of a proxy or a 5xx)
            raise TransientError("The provider answered the token request with something else than a token.") from None
        token = dict(answer)
        if not token.get("access_token"):
            raise TransientError("The provider answered the token request without a token.")
        if "expires_at" not in token and token.get("expires_in"):
            token["expires_at"] = int(time.time()) + int(token["expires_in"])
        return token

    def oauth_complete(self, *, token: dict, callback_params: dict) -> OAuthGrant:
        return OAuthGrant(token=token, organisations=self.organisations(token=token, callback_params=callback_params))

    @staticmethod
    def bearer_get(url: str, token: dict, **kwargs) -> httpx.Response:
        return OAuth2Provider.bearer_call("GET", url, token, **kwargs)

    @staticmethod
    def bearer_delete(url: str, token: dict) -> httpx.Response:
        return OAuth2Provider.bearer_call("DELETE", url, token)

    @staticmethod
    def bearer_call(method: str, url: str, token: dict, **kwargs) -> httpx.Response:
        try:
            with http.client() as client:
                response = client.request(
                    method,
                    url,
                    headers={"Authorization": f"Bearer {token['access_token']}", "Accept": "application/json"},
                    **kwargs,
                )
        except httpx.HTTPError as exc:
            raise TransientError(f"Could not reach the provider: {exc.__class__.__name__}.") from None
        if response.status_code in (401, 403):
            raise AuthError("The provider refused the access token.")
        if response.status_code >= 400:
            raise TransientError(f"The provider answered {response.status_code}.")
        return response
