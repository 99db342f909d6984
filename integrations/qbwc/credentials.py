"""The Web Connector's log-in: a user name written into the ``.qwc`` file and a password.

The customer types the password into the Web Connector once; we keep only its hash.

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
from typing import TYPE_CHECKING

from django.contrib.auth.hashers import check_password as _check_password_hash
from django.contrib.auth.hashers import make_password

from integrations.providers.base import ConnectResult

if TYPE_CHECKING:
    from integrations.models import Connection

PROVIDER_KEY = "quickbooks_desktop"
STORED_KEYS = ("username", "password_hash", "owner_id", "file_id")

# No 0/o, 1/l/i: the user may have to read these off a screen and type them into the Web Connector.
_USERNAME_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"
PASSWORD_LENGTH = 24
_SLUG_MAX = 16


def generate_web_connector_credentials(*, business_name: str) -> dict:
    """New log-in details for a Web Connector, e.g. ``{"username": "qbd-alpha-ltd-7k3mq9", ...}``.

    Returns ``username`` (short, readable, unique among QuickBooks Desktop connections),
    ``password`` (24 random characters, ~138 bits), ``password_hash`` (Django's ``make_password``),
    ``owner_id`` and ``file_id`` (``{GUID}``, upper case, as QuickBooks writes them).
    Store all but ``password``; see the module docstring.
    """
    password = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))
    return {
        "username": _unused_username(business_name),
        "password": password,
        "password_hash": make_password(password),
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


def check_password(connection: Connection, password: str) -> bool:
    """Whether ``password`` is this connection's Web Connector password (constant time)."""
    credentials = connection.credentials or {}
    encoded = credentials.get("password_hash")
    if not encoded or not password:
        return False
    return _check_password_hash(password, encoded)


def username_matches(connection: Connection, username: str) -> bool:
    stored = (connection.credentials or {}).get("username") or ""
    return bool(stored) and hmac.compare_digest(stored.encode(), (username or "").encode())


def _unused_username(business_name: str) -> str:
    from integrations.models import Connection

    slug = _slug(business_name)
    for _ in range(10):
        suffix = "".join(secrets.choice(_USERNAME_ALPHABET) for _ in range(6))
        username = f"qbd-{slug}-{suffix}" if slug else f"qbd-{suffix}"
        # Across tenants on purpose: the user name must be unique among every business's connections.
        taken = Connection.objects.unscoped().filter(provider=PROVIDER_KEY, external_tenant_id=username).exists()
        if not taken:
            return username
    raise RuntimeError("Could not find an unused Web Connector user name.")  # ~1e9 names per slug


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:_SLUG_MAX].strip("-")


def _guid() -> str:
    return "{" + str(uuid.uuid4()).upper() + "}"
