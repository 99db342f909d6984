"""Web Connector log-in details."""

import re

from django.contrib.auth.hashers import check_password as django_check_password

from integrations.models import Connection
from integrations.qbwc.credentials import (
    check_password,
    generate_web_connector_credentials,
    stored_credentials,
    web_connector_connect_result,
)
from integrations.qbwc.fake import create_web_connector_connection

GUID = re.compile(r"^\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$")


def test_generated_credentials(db):
    generated = generate_web_connector_credentials(business_name="Alpha & Omega Ltd")
    assert set(generated) == {"username", "password", "password_hash", "owner_id", "file_id"}
    assert re.fullmatch(r"qbd-alpha-omega-ltd-[a-z2-9]{6}", generated["username"])
    assert len(generated["password"]) >= 20
    assert generated["password"].isalnum()
    assert django_check_password(generated["password"], generated["password_hash"])
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
    assert django_check_password(result.extra["password"], result.credentials["password_hash"])


def test_check_password(business_a):
    connection, password = create_web_connector_connection(business=business_a)
    connection = Connection.objects.for_business(business_a).get(pk=connection.pk)  # through the encrypted column
    assert check_password(connection, password)
    assert not check_password(connection, password.lower())
    assert not check_password(connection, "")
    bare = Connection.objects.create(business=business_a, provider="xero", kind="additional")
    assert not check_password(bare, password)
