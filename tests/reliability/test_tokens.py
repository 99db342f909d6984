"""Access tokens that die mid-run, refresh tokens that are revoked, and many workers refreshing at once."""

import threading

import httpx
import pytest
from django.db import connection as db

from integrations import http, tokens
from integrations.models import Connection, ConnectionStatus
from integrations.sandbox.models import Token, TokenKind
from integrations.sandbox.services import set_fault
from publishing.models import Item, ItemState, PublishJob
from publishing.pipeline import items_publish
from publishing.worker import RECONNECT_MESSAGE
from tests.reliability.rig import connect_oauth, reconnect_oauth, seed_items

pytestmark = pytest.mark.reliability


def refreshes(connection: Connection) -> int:
    """How many times the sandbox's token endpoint rotated this connection's refresh token (Xero rotates
    on every refresh, so each refresh leaves exactly one refresh token that was ``rotated_from`` another)."""
    grant = Token.objects.get(value=connection.credentials["refresh_token"]).grant
    return Token.objects.filter(grant=grant, kind=TokenKind.REFRESH, rotated_from__isnull=False).count()


def publish(business, admin, items) -> None:
    result = items_publish(business=business, item_ids=[i.pk for i in items], actor=admin, queue="publish_bulk")
    assert result.updated == len(items) and not result.errors, result.errors


def test_access_tokens_expiring_mid_run_are_refreshed_once_per_connection(rig, client):
    setups = []
    for position in (0, 1):  # two Xero organisations, 40 items each (within 60 calls a minute)
        business, admin = rig.business(f"Expire {position}")
        xero = connect_oauth(client, business, admin, "xero", organisation=position)
        setups.append((business, admin, xero, seed_items(business, 40, provider="xero")))
    items = [i for *_, batch in setups for i in batch]
    rig.beat()
    rig.worker()
    for business, admin, _, batch in setups:
        publish(business, admin, batch)
    rig.wait_some_published(items, 10)

    set_fault("xero", "expire_tokens")  # every access token the workers hold is now refused
    for business, _, _, batch in setups:
        assert rig.published(batch) < len(batch), f"{business} had finished before the tokens expired"

    rig.wait_published(items, timeout=120)
    rig.assert_published_exactly_once(items, "xero")
    for business, _, xero, _ in setups:
        xero.refresh_from_db()
        assert xero.status == ConnectionStatus.ACTIVE, f"{business}'s connection: {xero.status_reason}"
        assert refreshes(xero) == 1, f"{business}: the token endpoint was called {refreshes(xero)} times, not once"


def test_a_revoked_refresh_token_needs_reconnect_and_reconnecting_publishes_the_rest(rig, client):
    business, admin = rig.business("Revoked")
    xero = connect_oauth(client, business, admin, "xero")
    items = seed_items(business, 40, provider="xero")
    rig.beat()
    rig.worker()
    publish(business, admin, items)
    rig.wait_some_published(items, 5)

    set_fault("xero", "revoke_refresh")  # the authorisation has gone for good…
    set_fault("xero", "expire_tokens")  # …which the workers find out at their next call
    open_jobs = PublishJob.objects.for_business(business).filter(status__in=("pending", "claimed"))
    rig.wait(lambda: not open_jobs.exists(), timeout=60, what="every job to succeed or fail")

    xero.refresh_from_db()
    assert xero.status == ConnectionStatus.NEEDS_RECONNECT
    failed = Item.objects.for_business(business).exclude(state=ItemState.PUBLISHED)
    assert failed.exists(), "every item was published before the authorisation was revoked"
    assert set(failed.values_list("state", "last_publish_error")) == {(ItemState.READY, RECONNECT_MESSAGE)}

    reconnect_oauth(client, business, admin, xero)  # R5: the failed items are queued again by themselves
    xero.refresh_from_db()
    assert xero.status == ConnectionStatus.ACTIVE
    rig.wait_published(items, timeout=90)
    rig.assert_published_exactly_once(items, "xero")


class CountingTransport(httpx.BaseTransport):
    """Real sockets; counts the calls to token endpoints."""

    def __init__(self):
        self.inner = httpx.HTTPTransport()
        self.token_calls = 0
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/connect/token"):
            with self.lock:
                self.token_calls += 1
        return self.inner.handle_request(request)


def test_concurrent_refreshes_of_one_connection_make_one_call(rig, client):
    business, admin = rig.business("Concurrent")
    xero = connect_oauth(client, business, admin, "xero")
    stale = xero.credentials["access_token"]
    counting = CountingTransport()
    http.set_transport(counting)
    workers = 8
    start = threading.Barrier(workers)
    answers, errors = [], []

    def refresh() -> None:
        try:
            mine = Connection.objects.for_business(business).get(pk=xero.pk)  # each worker's own copy
            start.wait(timeout=30)
            answers.append(tokens.refresh(mine, stale_access_token=stale))
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            db.close()

    threads = [threading.Thread(target=refresh) for _ in range(workers)]
    try:
        [t.start() for t in threads]
        [t.join(timeout=60) for t in threads]
    finally:
        http.set_transport(None)
    assert not errors, errors
    assert len(answers) == workers
    assert counting.token_calls == 1, f"{counting.token_calls} calls reached the token endpoint"
    assert refreshes(Connection.objects.for_business(business).get(pk=xero.pk)) == 1
    xero.refresh_from_db()
    assert set(answers) == {xero.credentials["access_token"]} and stale not in answers
    assert xero.status == ConnectionStatus.ACTIVE
