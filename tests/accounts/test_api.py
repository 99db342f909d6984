"""Auth token, /me, business detail, healthz and the error envelope."""

import json

import pytest
from django.test import override_settings

from tests.factories import PASSWORD


def test_token_exchange_and_token_auth(world, api):
    response = api.post(
        "/api/v1/auth/token/", {"email": "business_admin@alpha.test", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["email"] == "business_admin@alpha.test"


def test_token_is_stored_only_as_a_digest(world, api):
    from accounts.models import ApiToken

    token = api.post(
        "/api/v1/auth/token/", {"email": "business_admin@alpha.test", "password": PASSWORD}, format="json"
    ).json()["token"]
    stored = ApiToken.objects.get(user=world.users["business_admin"])
    assert token not in (stored.key_digest, stored.prefix)
    assert stored.key_digest == ApiToken.digest(token)


def test_token_refused_for_a_wrong_password(world, api):
    response = api.post(
        "/api/v1/auth/token/", {"email": "business_admin@alpha.test", "password": "nope"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"
    assert response.json()["detail"]


def test_token_missing_fields_is_an_invalid_envelope(api, db):
    response = api.post("/api/v1/auth/token/", {"email": "not-an-email"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert set(body["errors"]) == {"email", "password"}


def test_malformed_json_is_a_400_envelope_not_a_500(api, db):
    response = api.post("/api/v1/auth/token/", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_request"


def test_a_bad_token_is_401(api, db):
    api.credentials(HTTP_AUTHORIZATION="Token nonsense")
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_anonymous_is_401_with_envelope(api, db):
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_unknown_api_route_is_a_json_404(api, db):
    response = api.get("/api/v1/nowhere/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_me_lists_memberships_and_practice_clients(world, api_as):
    body = api_as(world.users["practice_practice_admin"]).get("/api/v1/me/").json()
    names = {b["name"]: b for b in body["businesses"]}
    assert set(names) == {"Alpha Ltd", "Charlie Ltd"}, "the practice admin should see both clients, nothing else"
    assert names["Alpha Ltd"]["via"] == "practice"
    assert names["Alpha Ltd"]["role"] == "practice_admin"


def test_me_for_a_member(world, api_as):
    body = api_as(world.users["business_admin"]).get("/api/v1/me/").json()
    assert body["businesses"] == [
        {"id": str(world.a.id), "name": "Alpha Ltd", "role": "business_admin", "via": "member"}
    ]


def test_business_detail_and_isolation(world, api_as):
    client = api_as(world.users["business_admin"])
    assert client.get(f"/api/v1/businesses/{world.a.id}/").json()["name"] == "Alpha Ltd"
    response = client.get(f"/api/v1/businesses/{world.b.id}/")
    assert response.status_code == 404, "business B leaked to A's admin"
    assert response.json() == {"code": "not_found", "detail": "Not found."}


def test_business_detail_unassigned_client_is_404_for_practice_standard(world, api_as):
    response = api_as(world.users["practice_standard"]).get(f"/api/v1/businesses/{world.client_c.id}/")
    assert response.status_code == 404, "an unassigned client leaked to a Standard practice user"


def test_business_detail_unknown_id_is_404(world, api_as):
    response = api_as(world.users["business_admin"]).get("/api/v1/businesses/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404


def test_healthz_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok"}


@override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0")
def test_healthz_broker_down(client, db):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "unavailable"}


def test_healthz_checks_a_broker_other_than_redis(client, db, settings):
    """README, Running at scale: RabbitMQ may carry the messages (CELERY_BROKER_URL); /healthz checks that broker
    through Celery's transport library (kombu's in-memory transport stands in for a reachable one here)."""
    settings.CELERY_BROKER_URL = "memory://"
    assert client.get("/healthz").json() == {"database": "ok", "broker": "ok"}
    settings.CELERY_BROKER_URL = "amqp://guest:guest@127.0.0.1:1//"
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"database": "ok", "broker": "unavailable"}


def test_healthz_database_down(client, db, monkeypatch):
    import psycopg

    from dext_connections import health

    class Unreachable:
        def cursor(self):
            raise psycopg.OperationalError("connection refused")

    monkeypatch.setattr(health, "connection", Unreachable())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unavailable"


@pytest.mark.django_db
def test_openapi_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = json.loads(schema.content)["paths"]
    assert "/api/v1/me/" in paths and "/api/v1/auth/token/" in paths
    assert client.get("/api/docs/").status_code == 200
