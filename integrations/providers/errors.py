"""The one mapping from the provider error taxonomy (:mod:`integrations.providers.base`) to the application's
error (``ApplicationError``: a code, a sentence, an HTTP status), for services that call a provider while a
person waits (connecting, reconnecting, the OAuth callback).

Publishing does not come through here: a publish job records the error's kind on the item
(``publishing.worker.outcome_kind``) and retries by type.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dext_connections.errors import ApplicationError
from integrations.providers.base import (
    AuthError,
    CredentialsRefused,
    ProviderError,
    RateLimited,
    TransientError,
    ValidationError,
)

if TYPE_CHECKING:
    from integrations.providers.base import Provider


def application_error(provider: Provider, exc: ProviderError) -> ApplicationError:
    """What to tell the person whose request ``provider`` failed with ``exc``:

    - CredentialsRefused → 400 ``invalid_credentials`` ("<provider> refused these details: …");
    - TransientError, and a rate limit (it passes too) → 503 ``provider_unavailable`` (nothing was changed; try
      again in a moment);
    - AuthError → 400 ``access_denied`` with the error's own message;
    - ValidationError → 400 ``provider_refused`` with the provider's message.
    """
    if isinstance(exc, CredentialsRefused):
        return ApplicationError("invalid_credentials", f"{provider.name} refused these details: {exc.message}")
    if isinstance(exc, TransientError | RateLimited):
        return ApplicationError(
            "provider_unavailable",
            f"{provider.name} could not be reached ({exc.message}) Nothing was changed; try again in a moment.",
            status_code=503,
        )
    if isinstance(exc, AuthError):
        return ApplicationError("access_denied", exc.message)
    if isinstance(exc, ValidationError):
        return ApplicationError("provider_refused", f"{provider.name} refused the request: {exc.message}")
    return ApplicationError("provider_error", f"{provider.name} answered with an error: {exc.message}")
