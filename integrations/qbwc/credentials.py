"""The Web Connector's log-in: a user name written into the ``.qwc`` file and a password.

The customer types the password into the Web Connector once; we keep only its hash. The password is
a machine-made random secret of ~138 bits, so a slow password hash (PBKDF2's many rounds, made for
passwords people choose) buys nothing against guessing it and costs a CPU-heavy check per attempt to
anybody who cares to send attempts: the hash is an HMAC-SHA256 keyed with a server secret
(``SECRET_KEY``, through Django's ``salted_hmac``; ``SECRET_KEY_FALLBACKS`` are accepted while a key is
rotated), compared in constant time. Hashes stored before, in Django's ``make_password`` format, are
still accepted, checked the old way once and replaced by the HMAC form on that sign-in.

When a QuickBooks Desktop connection is made, the caller (the provider's ``connect_web_connector``,
which can simply return :func:`web_connector_connect_result`) stores:

- in ``Connection.credentials``: everything :func:`generate_web_connector_credentials` returns
  **except** ``password`` (``username``, ``password_hash``, ``owner_id``, ``file_id``);
- in ``Connection.external_tenant_id``: the ``username``. Credentials are encrypted at rest and
  cannot be searched, so this is how the SOAP service finds the connection a Web Connector signs in as;
- the plain ``password`` nowhere: it is shown to the user once, next to the ``.qwc`` download.

``owner_id`` and ``file_id`` must stay the same for the life of the connection: QuickBooks writes
them into the company file the first time the Web Connector connects.
"""

from __future__ import annotations

import hmac
import re
import secrets
import unicodedata
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.hashers import check_password as _check_legacy_password_hash
from django.utils.crypto import salted_hmac

from integrations.providers.base import ConnectResult

if TYPE_CHECKING:
    from integrations.models import Connection

STORED_KEYS = ("username", "password_hash", "owner_id", "file_id")

# No 0/o, 1/l/i: the user may have to read these off a screen and type them into the Web Connector.
_USERNAME_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"
PASSWORD_LENGTH = 24
_SLUG_MAX = 16
HASH_PREFIX = "hmac_sha256$"
_HMAC_SALT = "integrations.qbwc.credentials.web_connector_password"


@dataclass(frozen=True)
class PasswordCheck:
    ok: bool
    rehash: bool = False  # right, but stored in an old form (PBKDF2, or keyed with a retired secret)


def generate_web_connector_credentials(*, business_name: str) -> dict:
    """New log-in details for a Web Connector, e.g. ``{"username": "qbd-alpha-ltd-7k3mq9", ...}``.

    Returns ``username`` (short, readable, unique among the connections' tenant ids, so among QuickBooks Desktop
    connections),
    ``password`` (24 random characters, ~138 bits), ``password_hash`` (:func:`hash_password`),
    ``owner_id`` and ``file_id`` (``{GUID}``, upper case, as QuickBooks writes them).
    Store all but ``password``; see the module docstring.
    """
    password = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))
    return {
        "username": _unused_username(business_name),
        "password": password,
        "password_hash": hash_password(password),
        "owner_id": _guid(),
        "file_id": _guid(),
    }


def stored_credentials(generated: dict) -> dict:
    """What goes into ``Connection.credentials``: the generated details without the plain password."""
    return {key: generated[key] for key in STORED_KEYS}


def web_connector_connect_result(*, business_name: str) -> ConnectResult:
    """Everything the provider's ``connect_web_connector`` returns.

    The company file is not known until the Web Connector first connects, so ``organisation_name``
    is left empty. ``extra`` holds the user name and password to show the user once.
    """
    generated = generate_web_connector_credentials(business_name=business_name)
    return ConnectResult(
        organisation_name="",
        external_tenant_id=generated["username"],
        credentials=stored_credentials(generated),
        extra={"username": generated["username"], "password": generated["password"]},
    )


def hash_password(password: str, *, secret: str | None = None) -> str:
    """``"hmac_sha256$<hex>"``: HMAC-SHA256 of the password, keyed from ``secret`` (default SECRET_KEY)."""
    return HASH_PREFIX + salted_hmac(_HMAC_SALT, password, secret=secret, algorithm="sha256").hexdigest()


def verify_password(connection: Connection, password: str) -> PasswordCheck:
    """Whether ``password`` is this connection's Web Connector password, and whether its stored hash
    should be replaced by :func:`hash_password`'s (see the module docstring)."""
    encoded = (connection.credentials or {}).get("password_hash")
    if not encoded or not password:
        return PasswordCheck(ok=False)
    if encoded.startswith(HASH_PREFIX):
        keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
        for position, key in enumerate(keys):
            if hmac.compare_digest(encoded.encode(), hash_password(password, secret=key).encode()):
                return PasswordCheck(ok=True, rehash=position > 0)
        return PasswordCheck(ok=False)
    ok = _check_legacy_password_hash(password, encoded)  # Django's format: PBKDF2 and friends
    return PasswordCheck(ok=ok, rehash=ok)


def check_password(connection: Connection, password: str) -> bool:
    """Whether ``password`` is this connection's Web Connector password (constant time)."""
    return verify_password(connection, password).ok


def username_matches(connection: Connection, username: str) -> bool:
    stored = (connection.credentials or {}).get("username") or ""
    return bool(stored) and hmac.compare_digest(stored.encode(), (username or "").encode())


def _unused_username(business_name: str) -> str:
    from integrations.models import Connection

    slug = _slug(business_name)
    for _ in range(10):
        suffix = "".join(secrets.choice(_USERNAME_ALPHABET) for _ in range(6))
        username = f"qbd-{slug}-{suffix}" if slug else f"qbd-{suffix}"
        # Across tenants on purpose: the user name must be unique among every business's connections (of every
        # provider: other providers' tenant ids never look like these, so this is uniqueness among Web Connectors).
        taken = Connection.objects.unscoped().filter(external_tenant_id=username).exists()
        if not taken:
            return username
    raise RuntimeError("Could not find an unused Web Connector user name.")  # ~1e9 names per slug


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:_SLUG_MAX].strip("-")


def _guid() -> str:
    return "{" + str(uuid.uuid4()).upper() + "}"
