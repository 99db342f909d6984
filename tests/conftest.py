"""Fixtures shared by the whole suite: a world of two businesses, a practice and every role."""

from dataclasses import dataclass

import pytest
from rest_framework.test import APIClient

from accounts.models import Business, BusinessRole, PracticeRole, User
from accounts.services import practice_client_assign
from tests.factories import (
    BusinessFactory,
    BusinessMembershipFactory,
    PracticeFactory,
    PracticeMembershipFactory,
    UserFactory,
)
from tests.lists import seed_lists, sync


@pytest.fixture(autouse=True)
def _fresh_cache_counters():
    """Every test starts with empty counters in the shared cache (sign-in throttles, allauth's rate limits).

    Only the cache's own keys (its KEY_PREFIX) go: the same Redis database also carries Celery's messages.
    """
    import redis
    from django.conf import settings

    config = settings.CACHES["default"]
    client = redis.Redis.from_url(config["LOCATION"])
    try:
        keys = list(client.scan_iter(match=f"{config.get('KEY_PREFIX', '')}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@dataclass
class World:
    """Business A is a client of the practice; business B is another tenant altogether.

    ``client_c`` is a second client of the practice, not assigned to the practice's Standard user.
    """

    a: Business
    b: Business
    client_c: Business
    users: dict[str, User]


@pytest.fixture
def world(db) -> World:
    practice = PracticeFactory(name="Ledger & Co")
    a = BusinessFactory(name="Alpha Ltd", practice=practice)
    b = BusinessFactory(name="Bravo Ltd")
    c = BusinessFactory(name="Charlie Ltd", practice=practice)
    users = {}
    for role, can_publish in [
        (BusinessRole.BUSINESS_ADMIN, True),
        (BusinessRole.USER_ADMIN, False),
        ("standard_publisher", True),
        (BusinessRole.STANDARD, False),
    ]:
        r = BusinessRole.STANDARD if role == "standard_publisher" else role
        users[str(role)] = BusinessMembershipFactory(
            business=a, role=r, can_publish=can_publish, user__email=f"{role}@alpha.test"
        ).user
    users["b_admin"] = BusinessMembershipFactory(
        business=b, role=BusinessRole.BUSINESS_ADMIN, user__email="admin@bravo.test"
    ).user
    for role in (PracticeRole.PRACTICE_ADMIN, PracticeRole.CLIENT_ADMIN):
        users[f"practice_{role}"] = PracticeMembershipFactory(
            practice=practice, role=role, user__email=f"{role}@ledger.test"
        ).user
    standard = PracticeMembershipFactory(
        practice=practice, role=PracticeRole.STANDARD, user__email="standard@ledger.test"
    )
    practice_client_assign(membership=standard, business=a)
    users["practice_standard"] = standard.user
    users["outsider"] = UserFactory(email="outsider@example.test")
    return World(a=a, b=b, client_c=c, users=users)


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def api_as(api):
    def sign_in(user: User) -> APIClient:
        api.force_authenticate(user)
        return api

    return sign_in


def _recode_after_seed(connection):
    from integrations import events

    events.lists_synced(connection=connection)


@pytest.fixture
def connect():
    """Make a connection through the real service, as if the provider had accepted the authorisation."""
    from integrations import services
    from integrations.providers import registry
    from integrations.providers.base import ConnectResult

    def make(business, provider_key, *, user=None, organisation="Sandbox Org"):
        provider = registry.get(provider_key)
        result = ConnectResult(
            organisation_name=organisation,
            external_tenant_id=f"{provider_key}-tenant",
            credentials={"access_token": "at", "refresh_token": "rt", "expires_at": 4102444800},
        )
        connection = services.connection_create(business=business, provider=provider, result=result, actor=user)
        if provider.list_kinds:
            # As a finished sync would leave them; the connected event re-coded the business's items before that.
            seed_lists(connection)
            _recode_after_seed(connection)
        return connection

    return make


@pytest.fixture
def sandbox_http(settings):
    """Provider HTTP goes, in-process, through the real URL stack into the provider sandbox.

    httpx's WSGI transport stands in for the network only: our clients, authlib, the sandbox's
    views and the database are all real (and share the test's transaction).
    """
    from integrations import http
    from integrations.inprocess import transport

    settings.SITE_URL = "http://testserver"
    http.set_transport(transport())
    yield
    http.set_transport(None)


def consent(client, authorize_url: str, *, decision: str = "allow", orgs: int = 1) -> str:
    """Open a sandbox consent page and press Allow access (or Deny); answers the redirect URL."""
    from urllib.parse import parse_qsl, urlencode, urlsplit

    parts = urlsplit(authorize_url)
    page = client.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200, page.content
    assert b"Allow access" in page.content
    form = dict(parse_qsl(parts.query)) | {"decision": decision, "sandbox_orgs": str(orgs)}
    answer = client.post(parts.path, urlencode(form), content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 302, answer.content
    return answer["Location"]


def oauth_connect(client, business, user, provider: str):
    """Connect an OAuth provider the way a person does: API start, sandbox consent, callback."""
    from urllib.parse import urlsplit

    from integrations.models import Connection

    client.force_login(user)
    started = client.post(
        f"/api/v1/businesses/{business.id}/connections/", {"provider": provider}, content_type="application/json"
    )
    assert started.status_code == 202, started.content
    location = urlsplit(consent(client, started.json()["authorize_url"]))
    landed = client.get(f"{location.path}?{location.query}")
    assert landed.status_code == 302, landed.content
    connection = Connection.objects.for_business(business).get(provider=provider, status="active")
    sync_lists_now(connection)
    return connection


def sync_lists_now(connection) -> None:
    """What the list sync's task does after a connect, at once and to the end: the provider's lists read from its
    sandbox (in process) through the sync's engine, which then has the business's items coded again."""
    from integrations.providers import registry

    if registry.get(connection.provider).list_kinds:
        sync(connection, steps=100)


def bill_com_connect(business, user):
    from integrations.services import connection_start

    credentials = {
        "username": "sandbox",
        "password": "sandbox",
        "organization_id": "sandbox-org",
        "dev_key": "sandbox-dev-key",
    }
    connection = connection_start(
        business=business, provider_key="bill_com", credentials=credentials, actor=user
    ).connection
    sync_lists_now(connection)
    return connection
