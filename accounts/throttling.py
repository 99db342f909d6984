"""One throttle for every password sign-in: the token API, allauth's login page and the Django admin.

Failed sign-ins are counted per account (the email address as typed, trimmed and lower-cased) and per
client address, in the shared cache (``dext_connections.throttle``). Past either limit every sign-in
for that email, or from that address, is refused with 429 before the password is even checked, so a
guesser learns nothing more until the window ends. A success clears the count of its own email only:
the address count stays, so signing in to one's own account cannot wipe a guesser's slate.

Settings: ``SIGNIN_FAILURE_LIMIT`` (per email), ``SIGNIN_ADDRESS_FAILURE_LIMIT`` (per address),
``SIGNIN_FAILURE_WINDOW_SECONDS``.
"""

from django.conf import settings

from dext_connections.errors import Throttled
from dext_connections.throttle import FailureWindow, address_subject, wait_in_words


def _email_window() -> FailureWindow:
    return FailureWindow("signin-email", settings.SIGNIN_FAILURE_LIMIT, settings.SIGNIN_FAILURE_WINDOW_SECONDS)


def _address_window() -> FailureWindow:
    return FailureWindow(
        "signin-address", settings.SIGNIN_ADDRESS_FAILURE_LIMIT, settings.SIGNIN_FAILURE_WINDOW_SECONDS
    )


def normalise_email(email: str | None) -> str:
    return (email or "").strip().lower()


def signin_throttle_check(*, email: str | None, address: str) -> None:
    """Raise :class:`Throttled` (429) when this email or this address has failed too often lately."""
    wait = max(
        _email_window().blocked_for(normalise_email(email)), _address_window().blocked_for(address_subject(address))
    )
    if wait:
        raise Throttled(f"Too many failed sign-ins. Try again in {wait_in_words(wait)}.", retry_after=wait)


def signin_failure_record(*, email: str | None, address: str) -> None:
    _email_window().record(normalise_email(email))
    _address_window().record(address_subject(address))


def signin_success_record(*, email: str | None) -> None:
    _email_window().reset(normalise_email(email))
