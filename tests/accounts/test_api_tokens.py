"""API tokens: issued with an expiry, listed and revoked by their owner, dead after a password change."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework.test import APIClient

from accounts.models import ApiToken, User
from accounts.services import api_token_create
from tests.factories import PASSWORD

TOKEN_URL = "/api/v1/auth/token/"
TOKENS_URL = "/api/v1/auth/tokens/"
EMAIL = "business_admin@alpha.test"


def issue(api, email=EMAIL, **extra) -> dict:
    response = api.post(TOKEN_URL, {"email": email, "password": PASSWORD, **extra}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def with_token(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


# --- issuing --------------------------------------------------------------------------------------------


def test_the_answer_that_shows_the_key_is_not_cacheable(world, api):
    response = api.post(TOKEN_URL, {"email": EMAIL, "password": PASSWORD, "name": "CI"}, format="json")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"token", "id", "name", "prefix", "expires_at"}
    assert body["name"] == "CI"
    assert body["token"].startswith(body["prefix"]) and len(body["prefix"]) == 8


def test_a_token_expires_after_the_configured_time(world, api, settings):
    settings.API_TOKEN_TTL_SECONDS = 3600
    before = timezone.now()
    expires_at = parse_datetime(issue(api)["expires_at"])
    assert before + timedelta(seconds=3600) <= expires_at <= timezone.now() + timedelta(seconds=3600)


def test_a_ttl_of_zero_means_the_token_never_expires(world, api, settings):
    settings.API_TOKEN_TTL_SECONDS = 0
    body = issue(api)
    assert body["expires_at"] is None
    assert with_token(body["token"]).get("/api/v1/me/").status_code == 200


def test_the_default_ttl_is_thirty_days(world, api):
    expires_at = parse_datetime(issue(api)["expires_at"])
    assert abs(expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)


def test_a_name_longer_than_100_characters_is_invalid(world, api):
    response = api.post(TOKEN_URL, {"email": EMAIL, "password": PASSWORD, "name": "x" * 101}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert set(response.json()["errors"]) == {"name"}


def test_an_expired_token_is_401(world, api):
    body = issue(api)
    ApiToken.objects.filter(pk=body["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = with_token(body["token"]).get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert not ApiToken.objects.filter(pk=body["id"]).exists(), "a dead token is deleted when presented"


def test_using_a_token_records_when(world, api):
    body = issue(api)
    assert ApiToken.objects.get(pk=body["id"]).last_used_at is None
    with_token(body["token"]).get("/api/v1/me/")
    assert ApiToken.objects.get(pk=body["id"]).last_used_at is not None


def test_issuing_deletes_the_callers_dead_tokens(world, api):
    old = issue(api)
    ApiToken.objects.filter(pk=old["id"]).update(expires_at=timezone.now() - timedelta(days=1))
    issue(api)
    assert not ApiToken.objects.filter(pk=old["id"]).exists()


# --- listing --------------------------------------------------------------------------------------------


def test_the_list_shows_only_my_live_tokens_and_which_one_is_current(world, api):
    mine_1, mine_2 = issue(api, name="laptop"), issue(api, name="CI")
    dead = issue(api, name="old")
    ApiToken.objects.filter(pk=dead["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    theirs = issue(api, email="standard@alpha.test", name="theirs")

    response = with_token(mine_1["token"]).get(TOKENS_URL)
    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None
    assert [t["id"] for t in body["results"]] == [mine_2["id"], mine_1["id"]], "newest first, mine only"
    assert theirs["id"] not in json.dumps(body), "another user's token leaked"
    row = body["results"][1]
    assert set(row) == {"id", "name", "prefix", "created_at", "last_used_at", "expires_at", "current"}
    assert (row["name"], row["prefix"], row["current"]) == ("laptop", mine_1["prefix"], True)
    assert body["results"][0]["current"] is False
    assert mine_1["token"] not in response.content.decode()


def test_the_list_through_the_browser_session_has_no_current_token(world, api):
    issue(api)
    client = APIClient()
    client.force_login(world.users["business_admin"])
    results = client.get(TOKENS_URL).json()["results"]
    assert len(results) == 1 and results[0]["current"] is False


def test_the_list_pages(world, api):
    for n in range(3):
        issue(api, name=f"t{n}")
    client = APIClient()
    client.force_login(world.users["business_admin"])
    first = client.get(TOKENS_URL, {"page_size": 2}).json()
    assert [t["name"] for t in first["results"]] == ["t2", "t1"]
    second = client.get(first["next"]).json()
    assert [t["name"] for t in second["results"]] == ["t0"] and second["next"] is None


def test_the_token_endpoints_need_a_signed_in_caller(db, api):
    assert api.get(TOKENS_URL).status_code == 401
    response = api.delete(f"{TOKENS_URL}00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


# --- revoking -------------------------------------------------------------------------------------------


def test_revoking_my_token_ends_it(world, api):
    keep, revoke = issue(api), issue(api)
    client = with_token(keep["token"])
    assert client.delete(f"{TOKENS_URL}{revoke['id']}/").status_code == 204
    assert with_token(revoke["token"]).get("/api/v1/me/").status_code == 401
    assert [t["id"] for t in client.get(TOKENS_URL).json()["results"]] == [keep["id"]]


def test_revoking_the_token_in_use_signs_it_out(world, api):
    body = issue(api)
    client = with_token(body["token"])
    assert client.delete(f"{TOKENS_URL}{body['id']}/").status_code == 204
    assert client.get("/api/v1/me/").status_code == 401


def test_revoking_another_users_token_is_404_and_leaves_it_working(world, api):
    mine, theirs = issue(api), issue(api, email="standard@alpha.test")
    response = with_token(mine["token"]).delete(f"{TOKENS_URL}{theirs['id']}/")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found."}
    assert with_token(theirs["token"]).get("/api/v1/me/").status_code == 200


@pytest.mark.parametrize("token_id", ["00000000-0000-0000-0000-000000000000", "not-a-uuid"])
def test_revoking_an_unknown_token_is_404(world, api, token_id):
    response = with_token(issue(api)["token"]).delete(f"{TOKENS_URL}{token_id}/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_revoking_through_the_session_needs_the_csrf_token(world, api):
    body = issue(api)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(world.users["business_admin"])
    response = client.delete(f"{TOKENS_URL}{body['id']}/")
    assert response.status_code == 403
    assert ApiToken.objects.filter(pk=body["id"]).exists()


# --- password changes -----------------------------------------------------------------------------------


def test_a_password_change_ends_every_token(world, api):
    first, second = issue(api), issue(api)
    user = User.objects.get(email=EMAIL)
    user.set_password("a-brand-new-password-93")
    user.save()
    for body in (first, second):
        response = with_token(body["token"]).get("/api/v1/me/")
        assert response.status_code == 401, "a token outlived a password change"
        assert response.json()["code"] == "not_authenticated"


def test_a_password_change_on_the_account_page_ends_every_token(world, api, client):
    body = issue(api)
    client.force_login(world.users["business_admin"])
    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "a-brand-new-password-93", "password2": "a-brand-new-password-93"},
    )
    assert response.status_code == 302, response.content
    assert with_token(body["token"]).get("/api/v1/me/").status_code == 401


def test_a_password_change_in_the_admin_ends_every_token(world, api, client):
    body = issue(api)
    user = world.users["business_admin"]
    client.force_login(User.objects.create_superuser("root@dext.test", PASSWORD))
    response = client.post(
        f"/admin/accounts/user/{user.pk}/password/",
        {"password1": "a-brand-new-password-93", "password2": "a-brand-new-password-93", "usable_password": "true"},
    )
    assert response.status_code == 302, response.content
    assert with_token(body["token"]).get("/api/v1/me/").status_code == 401


def test_tokens_issued_after_the_change_work(world, api):
    user = User.objects.get(email=EMAIL)
    user.set_password("a-brand-new-password-93")
    user.save()
    response = api.post(TOKEN_URL, {"email": EMAIL, "password": "a-brand-new-password-93"}, format="json")
    assert with_token(response.json()["token"]).get("/api/v1/me/").status_code == 200


def test_a_rehash_of_the_same_password_keeps_the_tokens(world, client):
    """Signing in re-hashes a password stored with weaker parameters; that is no change of password."""
    user = User.objects.get(email=EMAIL)
    user.password = MD5PasswordHasher().encode(PASSWORD, "ab")  # a short salt: Django re-hashes it
    user.save(update_fields=["password"])
    _, key = api_token_create(user=user)

    assert client.post("/accounts/login/", {"login": EMAIL, "password": PASSWORD}).status_code == 302
    user.refresh_from_db()
    assert not user.password.startswith("md5$ab$"), "the sign-in did not re-hash the password"
    assert with_token(key).get("/api/v1/me/").status_code == 200


def test_the_openapi_schema_documents_the_token_endpoints(client, db):
    paths = json.loads(client.get("/api/schema/?format=json").content)["paths"]
    assert set(paths[TOKENS_URL]) >= {"get"}
    assert set(paths["/api/v1/auth/tokens/{token_id}/"]) >= {"delete"}
    token_post = paths[TOKEN_URL]["post"]
    assert {"200", "400", "429"} <= set(token_post["responses"])
