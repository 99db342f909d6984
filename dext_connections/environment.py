"""Values the process environment must give, and the one way of saying that one is missing.

Used by the settings (secret key, encryption keys, sandbox token) and by apps that declare what they need where
they are defined (the OAuth app registrations of the providers, checked when ``integrations`` starts).
"""

import environ
from django.core.exceptions import ImproperlyConfigured

_env = environ.Env()


def django_env() -> tuple[str, bool]:
    """DJANGO_ENV (``production`` when unset) and whether it was given."""
    given = _env.str("DJANGO_ENV", default="")
    return given or "production", bool(given)


def required(name: str, why: str) -> str:
    """The value of environment variable ``name``, or ImproperlyConfigured saying what to set and why."""
    value = _env.str(name, default="")
    if not value:
        current, given = django_env()
        raise ImproperlyConfigured(
            f"{name} is not set. {why} DJANGO_ENV is {current!r}"
            + ("." if given else " (the default when it is unset).")
            + " On a developer machine use `make run` / `make test`, or set DJANGO_ENV=development."
        )
    return value
