"""Secrets at rest: Fernet encryption with rotatable keys (settings.FIELD_ENCRYPTION_KEYS)."""

import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_text(value: str) -> str:
    return fernet().encrypt(value.encode()).decode()


def decrypt_text(token: str) -> str:
    return fernet().decrypt(token.encode()).decode()


def rotate_text(token: str) -> str:
    """Re-encrypt with the newest key (the first in FIELD_ENCRYPTION_KEYS)."""
    return fernet().rotate(token.encode()).decode()


class EncryptedSecret:
    """A decrypted value that will not print itself."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __repr__(self) -> str:
        return "EncryptedSecret([redacted])"

    __str__ = __repr__


class EncryptedJSONField(models.TextField):
    """A JSON document stored as a Fernet token. Reads give a dict; the column holds ciphertext."""

    description = "JSON encrypted at rest"

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return {}
        try:
            return json.loads(decrypt_text(value))
        except InvalidToken as exc:
            raise ValueError("A stored secret could not be decrypted with any configured key.") from exc

    def to_python(self, value):
        if isinstance(value, dict) or value is None:
            return value or {}
        return json.loads(decrypt_text(value))

    def get_prep_value(self, value):
        if value is None:
            value = {}
        return encrypt_text(json.dumps(value, sort_keys=True))

    def value_to_string(self, obj):
        return "[encrypted]"
