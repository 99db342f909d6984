"""django-allauth's adapter: its password sign-ins go through the one sign-in throttle.

allauth calls ``pre_authenticate`` before it checks a password and ``authentication_failed`` after a
wrong one. A throttled sign-in raises :class:`~dext_connections.errors.Throttled`, which
``ApplicationErrorMiddleware`` renders as the 429 page with Retry-After (allauth's own "too many
attempts" is a form error answered with 200).
"""

from allauth.account.adapter import DefaultAccountAdapter

from accounts.throttling import signin_failure_record, signin_success_record, signin_throttle_check
from dext_connections.throttle import client_address


class AccountAdapter(DefaultAccountAdapter):
    def pre_authenticate(self, request, **credentials):
        super().pre_authenticate(request, **credentials)
        signin_throttle_check(email=credentials.get("email"), address=client_address(request))

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is not None:
            signin_success_record(email=credentials.get("email"))
        return user

    def authentication_failed(self, request, **credentials):
        super().authentication_failed(request, **credentials)
        signin_failure_record(email=credentials.get("email"), address=client_address(request))

    def get_client_ip(self, request) -> str:
        """allauth's own rate limits count per address too: the same address as ours (TRUSTED_PROXY_COUNT)."""
        return client_address(request) or super().get_client_ip(request)
