"""One sign-in throttle for the token API, allauth's login page and the Django admin login."""

import re
import time

import pytest
import redis
from django.conf import settings as django_settings
from django.test import RequestFactory
from rest_framework import exceptions

from dext_connections.errors import api_exception_handler
from dext_connections.throttle import address_subject, client_address
from tests.factories import PASSWORD, UserFactory

TOKEN_URL = "/api/v1/auth/token/"
EMAIL = "business_admin@alpha.test"


@pytest.fixture(autouse=True)
def limits(settings):
    settings.SIGNIN_FAILURE_LIMIT = 5
    settings.SIGNIN_ADDRESS_FAILURE_LIMIT = 20
    settings.SIGNIN_FAILURE_WINDOW_SECONDS = 900
    return settings


def api_sign_in(api, email=EMAIL, password="wrong", **extra):
    return api.post(TOKEN_URL, {"email": email, "password": password}, format="json", **extra)


def fail_api(api, times, email=EMAIL, **extra):
    for _ in range(times):
        assert api_sign_in(api, email, **extra).status_code == 400


def assert_throttled_envelope(response, minutes=15):
    assert response.status_code == 429, response.content
    assert response.json() == {
        "code": "throttled",
        "detail": f"Too many failed sign-ins. Try again in {minutes} minutes.",
    }
    assert 0 < int(response["Retry-After"]) <= 900


# --- the token API ----------------------------------------------------------------------------------------


def test_api_answers_429_after_repeated_failures_even_with_the_right_password(world, api):
    fail_api(api, 5)
    response = api_sign_in(api, password=PASSWORD)
    assert_throttled_envelope(response)
    assert "token" not in response.json()
    from accounts.models import ApiToken

    assert not ApiToken.objects.filter(user=world.users["business_admin"]).exists()


def test_api_below_the_limit_still_signs_in(world, api):
    fail_api(api, 4)
    assert api_sign_in(api, password=PASSWORD).status_code == 200


def test_the_email_count_ignores_case_and_spaces(world, api):
    for email in ("Business_Admin@Alpha.test", " business_admin@alpha.test", "BUSINESS_ADMIN@ALPHA.TEST"):
        api_sign_in(api, email.strip(), **{"REMOTE_ADDR": "10.0.0.1"})
    fail_api(api, 2, "business_admin@ALPHA.test", REMOTE_ADDR="10.0.0.2")
    assert api_sign_in(api, password=PASSWORD, REMOTE_ADDR="10.0.0.3").status_code == 429


def test_one_email_locked_out_does_not_lock_out_another(world, api):
    fail_api(api, 5)
    assert api_sign_in(api, "standard@alpha.test", PASSWORD).status_code == 200


def test_the_email_count_holds_from_every_address(world, api):
    for n in range(5):
        assert api_sign_in(api, REMOTE_ADDR=f"10.0.1.{n}").status_code == 400
    assert api_sign_in(api, password=PASSWORD, REMOTE_ADDR="10.0.2.1").status_code == 429


def test_an_address_that_fails_for_many_emails_is_locked_out(world, api, limits):
    limits.SIGNIN_ADDRESS_FAILURE_LIMIT = 6
    for n in range(6):
        assert api_sign_in(api, f"nobody{n}@example.test").status_code == 400
    assert_throttled_envelope(api_sign_in(api, "standard@alpha.test", PASSWORD))
    assert api_sign_in(api, "standard@alpha.test", PASSWORD, REMOTE_ADDR="10.9.9.9").status_code == 200


def test_a_success_clears_its_email_count_but_not_the_address_count(world, api, limits):
    limits.SIGNIN_ADDRESS_FAILURE_LIMIT = 6
    fail_api(api, 4)
    assert api_sign_in(api, password=PASSWORD).status_code == 200
    fail_api(api, 2)  # the email count started again: 2 of 5; the address holds 6 of 6
    response = api_sign_in(api, "standard@alpha.test", PASSWORD)
    assert response.status_code == 429, "signing in to one's own account must not reset the address count"


def test_x_forwarded_for_is_not_trusted_by_default(world, api, limits):
    limits.SIGNIN_ADDRESS_FAILURE_LIMIT = 3
    for n in range(3):
        api_sign_in(api, f"nobody{n}@example.test", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}")
    response = api_sign_in(api, "standard@alpha.test", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert response.status_code == 429, "a client chose its own address with X-Forwarded-For"


def test_counts_are_kept_in_the_shared_redis_cache(world, api):
    """Counted in Redis (not in this process's memory), so every web process sees the same count."""
    fail_api(api, 1)
    config = django_settings.CACHES["default"]
    assert config["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    client = redis.Redis.from_url(config["LOCATION"])
    keys = [key.decode() for key in client.scan_iter(match=f"{config['KEY_PREFIX']}:*throttle:signin-*")]
    client.close()
    assert any(":signin-email:" in key for key in keys) and any(":signin-address:" in key for key in keys)
    assert not any(EMAIL in key for key in keys), "keys hold a digest of the email, not the email"


def test_the_lockout_ends_with_its_window(world, api, limits):
    limits.SIGNIN_FAILURE_WINDOW_SECONDS = 1
    fail_api(api, 5)
    response = api_sign_in(api, password=PASSWORD)
    assert response.status_code == 429
    assert response["Retry-After"] == "1"
    assert response.json()["detail"] == "Too many failed sign-ins. Try again in 1 minute."
    time.sleep(1.1)
    assert api_sign_in(api, password=PASSWORD).status_code == 200


def test_sign_in_still_works_when_the_cache_is_unreachable(world, api, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    assert api_sign_in(api).status_code == 400
    assert api_sign_in(api, password=PASSWORD).status_code == 200


# --- allauth's login page ---------------------------------------------------------------------------------


def login_page(client, password="wrong", email=EMAIL):
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_allauth_login_answers_429_after_repeated_failures(world, client):
    for _ in range(5):
        response = login_page(client)
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session
    response = login_page(client, PASSWORD)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 900
    assert b"Too many failed sign-ins. Try again in 15 minutes." in response.content
    assert "_auth_user_id" not in client.session


def test_allauth_login_below_the_limit_signs_in(world, client):
    for _ in range(4):
        login_page(client)
    response = login_page(client, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(world.users["business_admin"].pk)


# --- the Django admin -------------------------------------------------------------------------------------


@pytest.fixture
def staff(db):
    return UserFactory(email="staff@dext.test", is_staff=True, is_superuser=True)


def admin_login(client, password="wrong", email="staff@dext.test"):
    return client.post("/admin/login/?next=/admin/", {"username": email, "password": password})


def test_admin_login_answers_429_after_repeated_failures(staff, client):
    for _ in range(5):
        assert admin_login(client).status_code == 200
    response = admin_login(client, PASSWORD)
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 900
    assert b"Too many failed sign-ins" in response.content
    assert "_auth_user_id" not in client.session


def test_admin_login_below_the_limit_signs_in(staff, client):
    for _ in range(4):
        admin_login(client)
    assert admin_login(client, PASSWORD).status_code == 302
    assert client.session["_auth_user_id"] == str(staff.pk)


def test_a_right_password_without_staff_access_is_not_a_failed_guess(world, client):
    for _ in range(6):
        response = admin_login(client, PASSWORD, EMAIL)
        assert response.status_code == 200  # "enter the correct email and password for a staff account"
    assert login_page(client, PASSWORD).status_code == 302


def test_the_three_sign_ins_share_one_count(staff, client, api):
    fail_api(api, 2, "staff@dext.test")
    for _ in range(2):
        login_page(client, email="staff@dext.test")
    admin_login(client)
    assert admin_login(client, PASSWORD).status_code == 429
    assert login_page(client, PASSWORD, "staff@dext.test").status_code == 429
    assert api_sign_in(api, "staff@dext.test", PASSWORD).status_code == 429


# --- the pieces ---------------------------------------------------------------------------------------------


def test_drf_throttled_maps_to_the_envelope():
    response = api_exception_handler(exceptions.Throttled(wait=90.2), {})
    assert response.status_code == 429
    assert response.data == {"code": "throttled", "detail": "Too many requests. Try again in 91 seconds."}
    assert response["Retry-After"] == "91"


def test_client_address_is_remote_addr_unless_proxies_are_trusted(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="6.6.6.6, 198.51.100.7")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_address(request) == "10.0.0.9"
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_address(request) == "198.51.100.7"
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_address(request) == "6.6.6.6"
    settings.TRUSTED_PROXY_COUNT = 3  # fewer entries than proxies: the header was not written by them
    assert client_address(request) == "10.0.0.9"
    settings.TRUSTED_PROXY_COUNT = 1
    garbage = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="not-an-address")
    assert client_address(garbage) == "10.0.0.9"


def test_ipv6_addresses_count_by_their_64_network():
    assert address_subject("2001:db8:1:2:aaaa::1") == address_subject("2001:db8:1:2:bbbb::2") == "2001:db8:1:2::/64"
    assert address_subject("2001:db8:1:3::1") != address_subject("2001:db8:1:2::1")
    assert address_subject("::ffff:192.0.2.1") == "192.0.2.1"
    assert address_subject("192.0.2.1") == "192.0.2.1"
    assert re.fullmatch(r"unknown", address_subject(""))


def test_a_failure_window_counts_blocks_and_resets():
    from dext_connections.throttle import FailureWindow

    window = FailureWindow("test-window", limit=2, window_seconds=60)
    subject = "someone\ud800"  # any text at all, even what UTF-8 cannot carry
    window.record(subject)
    assert window.blocked_for(subject) == 0
    window.record(subject)
    assert 58 <= window.blocked_for(subject) <= 60
    assert window.blocked_for("someone else") == 0
    window.reset(subject)
    assert window.blocked_for(subject) == 0
    off = FailureWindow("test-off", limit=0, window_seconds=60)
    for _ in range(3):
        off.record(subject)
    assert off.blocked_for(subject) == 0
