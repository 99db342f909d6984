"""Web Connector log-in details."""

import re

from django.contrib.auth.hashers import PBKDF2PasswordHasher

from integrations.models import Connection
from integrations.qbwc.credentials import (
    check_password,
    generate_web_connector_credentials,
    hash_password,
    stored_credentials,
    verify_password,
    web_connector_connect_result,
)
from tests.integrations.qbwc.fake_web_connector import create_web_connector_connection

GUID = re.compile(r"^\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$")


def test_generated_credentials(db):
    generated = generate_web_connector_credentials(business_name="Alpha & Omega Ltd")
    assert set(generated) == {"username", "password", "password_hash", "owner_id", "file_id"}
    assert re.fullmatch(r"qbd-alpha-omega-ltd-[a-z2-9]{6}", generated["username"])
    assert len(generated["password"]) >= 20
    assert generated["password"].isalnum()
    assert generated["password_hash"] == hash_password(generated["password"])
    assert generated["password_hash"].startswith("hmac_sha256$")
    assert generated["password"] not in generated["password_hash"]
    assert GUID.match(generated["owner_id"])
    assert GUID.match(generated["file_id"])
    assert generated["owner_id"] != generated["file_id"]


def test_generated_credentials_differ_every_time(db):
    first, second = (generate_web_connector_credentials(business_name="Alpha") for _ in range(2))
    for key in ("username", "password", "owner_id", "file_id"):
        assert first[key] != second[key]


def test_usernames_stay_short_and_readable_for_any_name(db):
    assert re.fullmatch(
        r"qbd-cafe-munchen-gmb-[a-z2-9]{6}",
        generate_web_connector_credentials(business_name="Café München GmbH & Co. KG")["username"],
    )
    assert re.fullmatch(r"qbd-[a-z2-9]{6}", generate_web_connector_credentials(business_name="株式会社")["username"])


def test_stored_credentials_leave_out_the_password(db):
    generated = generate_web_connector_credentials(business_name="Alpha")
    stored = stored_credentials(generated)
    assert set(stored) == {"username", "password_hash", "owner_id", "file_id"}
    assert generated["password"] not in str(stored)


def test_connect_result(db):
    result = web_connector_connect_result(business_name="Alpha")
    assert result.external_tenant_id == result.credentials["username"] == result.extra["username"]
    assert "password" not in result.credentials
    assert result.credentials["password_hash"] == hash_password(result.extra["password"])


def test_check_password(business_a):
    connection, password = create_web_connector_connection(business=business_a)
    connection = Connection.objects.for_business(business_a).get(pk=connection.pk)  # through the encrypted column
    assert check_password(connection, password)
    assert not check_password(connection, password.lower())
    assert not check_password(connection, "")
    bare = Connection.objects.create(business=business_a, provider="xero", kind="additional")
    assert not check_password(bare, password)


# --- the keyed hash, and hashes stored before it ----------------------------------------------------------

PBKDF2_FIRST = ["django.contrib.auth.hashers.PBKDF2PasswordHasher", "django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_password_is_checked_with_a_keyed_hash_not_pbkdf2(business_a, monkeypatch):
    from django.contrib.auth import hashers

    connection, password = create_web_connector_connection(business=business_a)

    def no_slow_hashing(*args, **kwargs):
        raise AssertionError("a Web Connector password went through Django's password hashers")

    monkeypatch.setattr(hashers, "check_password", no_slow_hashing)
    monkeypatch.setattr(hashers, "make_password", no_slow_hashing)
    monkeypatch.setattr("integrations.qbwc.credentials._check_legacy_password_hash", no_slow_hashing)
    assert check_password(connection, password)
    assert not check_password(connection, password[:-1] + ("A" if password[-1] != "A" else "B"))


def test_the_hash_is_keyed_by_the_server_secret(business_a, settings):
    connection, password = create_web_connector_connection(business=business_a)
    settings.SECRET_KEY = "another-server-secret-" + "x" * 40
    assert not check_password(connection, password), "the hash did not depend on the server secret"


def test_a_rotated_secret_key_keeps_working_and_the_hash_moves_to_the_new_key(soap, business_a, settings, work):
    connection, password = create_web_connector_connection(business=business_a)
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-server-secret-" + "y" * 40, [old_key]
    check = verify_password(connection, password)
    assert (check.ok, check.rehash) == (True, True)
    assert soap("authenticate", strUserName=connection.credentials["username"], strPassword=password)[1] == "none"
    stored = Connection.objects.for_business(business_a).get(pk=connection.pk).credentials["password_hash"]
    assert stored == hash_password(password)
    settings.SECRET_KEY_FALLBACKS = []
    assert soap("authenticate", strUserName=connection.credentials["username"], strPassword=password)[1] == "none"


def legacy_connection(business, password: str) -> Connection:
    """A connection saved before the keyed hash: Django's PBKDF2 (few rounds here, to keep the test quick)."""
    generated = generate_web_connector_credentials(business_name=business.name)
    generated["password_hash"] = PBKDF2PasswordHasher().encode(password, "legacysalt123456", iterations=1000)
    return Connection.objects.create(
        business=business,
        provider="quickbooks_desktop",
        kind="main",
        external_tenant_id=generated["username"],
        credentials=stored_credentials(generated),
    )


def test_an_old_pbkdf2_hash_is_accepted_once_and_upgraded(soap, business_a, settings, work):
    settings.PASSWORD_HASHERS = PBKDF2_FIRST
    password = "OldPasswordMadeBefore2026xyz"
    connection = legacy_connection(business_a, password)
    username = connection.credentials["username"]

    assert soap("authenticate", strUserName=username, strPassword=password + "x") == ["", "nvu"]
    stored = Connection.objects.for_business(business_a).get(pk=connection.pk).credentials["password_hash"]
    assert stored.startswith("pbkdf2_sha256$"), "a wrong password must not touch the stored hash"

    assert soap("authenticate", strUserName=username, strPassword=password)[1] == "none"
    upgraded = Connection.objects.for_business(business_a).get(pk=connection.pk)
    assert upgraded.credentials["password_hash"] == hash_password(password)
    assert {k: v for k, v in upgraded.credentials.items() if k != "password_hash"} == {
        k: v for k, v in connection.credentials.items() if k != "password_hash"
    }, "the upgrade changed more than the hash"
    assert soap("authenticate", strUserName=username, strPassword=password)[1] == "none"
    assert soap("authenticate", strUserName=username, strPassword=password + "x") == ["", "nvu"]
