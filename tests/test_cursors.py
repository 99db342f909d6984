"""A malformed ``cursor`` (not base64, or valid base64 with the wrong content) is a 400 ``invalid`` on every list
of the API and every paged page, never a 500."""

import base64
from urllib.parse import quote

import pytest

from accounts.models import AuditLogEntry
from publishing.services import supplier_create


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


MALFORMED = [
    "%%%",
    "not base64!",
    b64(b"\xff\xfe\xfd"),  # not UTF-8
    b64(b"not json"),
    b64(b'{"created_at": 1}'),
    b64(b"[]"),
    b64(b'["2026-01-01T00:00:00Z"]'),
    b64(b'["2026-01-01T00:00:00Z", "00000000-0000-0000-0000-000000000001", 3]'),
    b64(b"[null, null]"),
    b64(b"[true, false]"),
    b64(b"[1e400, 1]"),
    b64(b'[{"a": 1}, [2]]'),
    b64(b'["yesterday", "not-a-uuid"]'),
    b64(b'["2026-01-01T00:00:00Z", "not-a-uuid"]'),
    b64(b'["2026-01-01T00:00:00Z", 99999999999999999999999999]'),
    b64(b'["2026-13-45T99:99:99Z", 1]'),
    b64(b'["\\u0000", "\\u0000"]'),
]

API_LISTS = ["items/", "suppliers/", "supplier-rules/", "audit-log/"]
PAGES = ["costs/", "sales/", "expense-claims/", "settings/audit-log/"]


@pytest.fixture
def admin_client(world, client):
    client.force_login(world.users["business_admin"])
    for n in range(2):  # two of each, so that a first page of one has a next
        AuditLogEntry.objects.create(business=world.a, action="test", object_type="test", object_id=str(n))
        supplier_create(business=world.a, name=f"Supplier {n}")
    return client


@pytest.mark.parametrize("cursor", MALFORMED)
@pytest.mark.parametrize("path", API_LISTS)
def test_every_api_list_answers_400_invalid(world, admin_client, path, cursor):
    response = admin_client.get(f"/api/v1/businesses/{world.a.id}/{path}?cursor={quote(cursor)}")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and "cursor" in body["errors"]


@pytest.mark.parametrize("cursor", MALFORMED)
@pytest.mark.parametrize("path", PAGES)
def test_every_paged_page_answers_400(world, admin_client, path, cursor):
    response = admin_client.get(f"/b/{world.a.id}/{path}?cursor={quote(cursor)}")
    assert response.status_code == 400
    assert b"The page cursor is not valid" in response.content


@pytest.mark.parametrize("path", API_LISTS)
def test_a_cursor_the_list_gave_still_works(world, admin_client, path):
    first = admin_client.get(f"/api/v1/businesses/{world.a.id}/{path}?page_size=1").json()
    if first["next"]:
        assert admin_client.get(first["next"]).status_code == 200


@pytest.mark.parametrize(
    ("path", "cursor"),
    [
        ("items/", b'["2026-01-01T00:00:00Z", 1]'),  # an id that is a number where the list's ids are UUIDs
        ("audit-log/", b'["2026-01-01T00:00:00Z", "1"]'),  # and a string where they are numbers
        ("audit-log/", b'["2026-01-01T00:00:00Z", 9223372036854775808]'),  # past PostgreSQL's bigint
        ("suppliers/", b'["Acme", "00000000-0000-0000-0000-000000000001", "x"]'),
    ],
)
def test_another_lists_cursor_is_refused(world, admin_client, path, cursor):
    response = admin_client.get(f"/api/v1/businesses/{world.a.id}/{path}?cursor={b64(cursor)}")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
