"""The test side of the reliability tests: settings shared with the worker processes, businesses and
connections made through the real flows, items seeded set-based, and the checks every test ends with."""

from __future__ import annotations

import os
import random
import socket
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import redis
from django.db import connection as db
from django.db.models import Count

from accounts.models import Business, BusinessRole, User
from integrations.models import Connection
from integrations.sandbox.services import set_fault
from publishing.models import AttachmentStatus, Item, ItemState, PublishJob
from publishing.resolution import items_reresolve
from publishing.services import supplier_get_or_create
from tests.conftest import sync_lists_now
from tests.factories import BusinessFactory, BusinessMembershipFactory
from tests.reliability.stack import Process, Stack, database_url, redis_url_with_db, wait_for

# The same values in the worker processes (environment) and in this process (settings): short leases,
# a sweep every second, quick backoff, a sandbox "timeout" that answers after 1 s, and batches of two jobs
# (batching on, yet many requests per run, so that faults, kills and expiring tokens meet them mid-run).
TIMINGS = {
    "PUBLISH_BATCH_MAX": 2,
    "PUBLISH_LEASE_SECONDS": 8,
    "PUBLISH_DISPATCH_GRACE_SECONDS": 4,
    "PUBLISH_BACKOFF_BASE_SECONDS": 0.2,
    "PUBLISH_BACKOFF_MAX_SECONDS": 3.0,
    "SANDBOX_TIMEOUT_SECONDS": 1.0,
    "PROVIDER_HTTP_TIMEOUT_SECONDS": 2.0,
}
RELIABILITY_REDIS_DBS = range(9, 16)  # Redis has 16 databases unless configured otherwise
OWNER_KEY = "reliability-tests:owner"
OWNER_TTL = 1800  # a claim of a run that died without cleaning up lapses after this many seconds
CATEGORY = {
    "xero": "429 General Expenses",
    "quickbooks_online": "Office Expenses",
    "bill_com": "429 General Expenses",
}


def use_broker(url: str) -> None:
    """Point this process's Celery app (and the rate limiter's Redis client) at ``url``."""
    from kombu import pools

    from dext_connections.celery import app
    from integrations import ratelimit

    app.conf.broker_url = url
    pools.reset()  # close and forget kombu's pooled connections (to the old broker, or a dead one)
    app._pool = None
    app.amqp._producer_pool = None
    ratelimit._client.cache_clear()


@dataclass
class Rig:
    """One reliability test's world: its settings, its processes and what it checks at the end."""

    settings: object
    live_url: str
    tmp: Path
    redis_url: str = ""
    extra_env: dict[str, str] = field(default_factory=dict)
    stack: Stack | None = None
    businesses: list[Business] = field(default_factory=list)
    seeds: dict[str, int] = field(default_factory=dict)

    # ------------------------------------------------------------------ set-up

    def configure(self, redis_url: str) -> None:
        """Use ``redis_url`` for the broker, the limiter and the contact cache, here and in the workers."""
        self.redis_url = redis_url
        self.settings.REDIS_URL = redis_url
        self.settings.CELERY_BROKER_URL = redis_url
        use_broker(redis_url)

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CELERY_", "PUBLISH_", "PYTEST_"))}
        env.update(
            {
                "DJANGO_ENV": "test",
                "DJANGO_SETTINGS_MODULE": "dext_connections.settings",
                "DATABASE_URL": database_url(db.settings_dict),
                "REDIS_URL": self.redis_url,
                "SITE_URL": self.live_url,
                "SANDBOX_ENABLED": "true",
                "MEDIA_ROOT": str(self.settings.MEDIA_ROOT),
                "PUBLISH_SWEEP_SECONDS": "1",
                "PYTHONUNBUFFERED": "1",
                "ATTACHMENT_UPLOADS_AT_ONCE": "8",  # production's (the data is committed: upload threads see it)
                **{k: str(v) for k, v in TIMINGS.items()},
                **self.extra_env,
            }
        )
        return env

    def processes(self) -> Stack:
        if self.stack is None:
            self.stack = Stack(env=self.env(), tmp=self.tmp)
        return self.stack

    def worker(self, *, supervised: bool = False) -> Process:
        return self.processes().worker(supervised=supervised)

    def beat(self) -> Process:
        return self.processes().beat()

    # ------------------------------------------------------------------ businesses and connections

    def business(self, name: str) -> tuple[Business, User]:
        membership = BusinessMembershipFactory(
            business=BusinessFactory(name=name),
            role=BusinessRole.BUSINESS_ADMIN,
            user__email=f"admin-{len(self.businesses)}@{name.lower().replace(' ', '-')}.test",
        )
        self.businesses.append(membership.business)
        return membership.business, membership.user

    # ------------------------------------------------------------------ faults

    def fault(self, provider: str, mode: str, *, rate: float = 0.2, **options) -> int:
        """Switch a sandbox fault with a seed, printed (pytest shows it with a failure) and in every report.
        ``RELIABILITY_SEED`` replays a run; otherwise the seed is random among those whose first
        ``EARLY_DRAWS`` draws fire at least once, so that a test that asserts its fault fired cannot miss by
        luck."""
        seed = fault_seed(provider, rate)
        set_fault(provider, mode, rate=rate, seed=seed, **options)
        self.seeds[f"{provider} {mode}"] = seed
        print(f"fault {provider} {mode} at {rate:.0%}: seed {seed} (replay with RELIABILITY_SEED={seed})")
        return seed

    # ------------------------------------------------------------------ what the tests wait for and check

    def counts(self) -> str:
        ids = [b.pk for b in self.businesses]
        items = Item.all_tenants.filter(business_id__in=ids).values_list("state").annotate(n=Count("id"))
        jobs = PublishJob.all_tenants.filter(business_id__in=ids).values_list("status").annotate(n=Count("id"))
        return f"items by state: {dict(items)}; jobs by status: {dict(jobs)}"

    def report(self) -> str:
        from django.utils import timezone

        now = timezone.now()
        open_jobs = PublishJob.all_tenants.filter(
            business_id__in=[b.pk for b in self.businesses], status__in=("pending", "claimed")
        )
        stuck = [
            f"  job {j.pk} {j.status} attempts={j.attempts} not_before={_ago(j.not_before, now)} "
            f"lease={_ago(j.lease_expires_at, now)} updated={_ago(j.updated_at, now)} error={j.last_error!r}"
            for j in open_jobs[:8]
        ]
        failed = PublishJob.all_tenants.filter(business_id__in=[b.pk for b in self.businesses], status="failed")
        errors = [f"  failed: {error}" for error in failed.values_list("last_error", flat=True).distinct()[:5]]
        logs = self.stack.logs() if self.stack is not None else ""
        seeds = [f"fault seeds: {self.seeds} (RELIABILITY_SEED replays one)"] if self.seeds else []
        return "\n".join([f"{self.counts()} (now {now:%H:%M:%S})", *seeds, *stuck, *errors, logs])

    def wait(self, condition, *, timeout: float, what: str) -> None:
        wait_for(condition, timeout=timeout, what=what, report=self.report)

    @staticmethod
    def published(items: list[Item]) -> int:
        return Item.all_tenants.filter(pk__in=[i.pk for i in items], state=ItemState.PUBLISHED).count()

    @staticmethod
    def attachments_in_flight(items: list[Item]) -> int:
        """Published items whose attachment is still to go up (it follows the document, publishing.attaching)."""
        waiting = [AttachmentStatus.PENDING, AttachmentStatus.SENDING]
        return Item.all_tenants.filter(pk__in=[i.pk for i in items], attachment_status__in=waiting).count()

    def wait_published(self, items: list[Item], *, timeout: float = 120) -> None:
        """Every item published, and the attachments that follow their documents uploaded or refused."""
        done = lambda: self.published(items) == len(items) and not self.attachments_in_flight(items)  # noqa: E731
        self.wait(done, timeout=timeout, what=f"all {len(items)} items to be published, their attachments sent")

    def wait_some_published(self, items: list[Item], at_least: int, *, timeout: float = 60) -> int:
        self.wait(lambda: self.published(items) >= at_least, timeout=timeout, what=f"{at_least} items to be published")
        return self.published(items)

    def documents(self, provider: str) -> list[dict]:
        """Every document the sandbox received for ``provider`` (each test starts with an empty sandbox), over
        HTTP: with our reference or without one."""
        response = httpx.get(
            f"{self.live_url}/sandbox/{provider}/documents/",
            headers={"Authorization": f"Bearer {self.settings.SANDBOX_TOKEN}"},
            timeout=60,
        )
        response.raise_for_status()
        return response.json()

    def references(self, provider: str) -> Counter:
        """How many documents the sandbox received for each reference (our item id)."""
        return Counter(d["reference"] for d in self.documents(provider))

    def assert_published_exactly_once(self, items: list[Item], provider: str | dict) -> None:
        """Every item ``published`` in the database, to a connection of the provider that holds its document, under
        that document's id; exactly one document per item in its provider (and its attachment once); and no other
        document in those providers: every document they hold is counted, not only those carrying our reference."""
        ids = [i.pk for i in items]
        rows = {
            row["pk"]: row
            for row in Item.all_tenants.filter(pk__in=ids).values(
                "pk", "state", "external_id", "attachment", "integration__provider"
            )
        }
        states = Counter(row["state"] for row in rows.values())
        assert states == {ItemState.PUBLISHED: len(ids)}, f"not every item was published: {dict(states)}"
        providers = provider if isinstance(provider, dict) else dict.fromkeys(ids, provider)
        held = {p: self.documents(p) for p in set(providers.values())}
        received = {p: Counter(d["reference"] for d in documents) for p, documents in held.items()}
        missing = [str(i) for i in ids if received[providers[i]][str(i)] == 0]
        doubled = {str(i): received[providers[i]][str(i)] for i in ids if received[providers[i]][str(i)] > 1}
        assert not missing, f"{len(missing)} items never reached the provider, e.g. {missing[:3]}"
        assert not doubled, (
            f"{len(doubled)} items reached the provider more than once, e.g. {list(doubled.items())[:3]}"
        )
        for name, documents in held.items():
            ours = {str(i) for i in ids if providers[i] == name}
            strangers = [d for d in documents if d["reference"] not in ours]
            assert not strangers, (
                f"{name} holds {len(strangers)} documents that are no item's of this run (a duplicate without our "
                f"reference?), e.g. {strangers[:2]}"
            )
            assert len(documents) == len(ours), f"{name} holds {len(documents)} documents for {len(ours)} items"
        document_of = {d["reference"]: d for documents in held.values() for d in documents}
        incoherent = [
            (str(pk), row["integration__provider"], row["external_id"], document_of[str(pk)]["id"])
            for pk, row in rows.items()
            if row["integration__provider"] != providers[pk]
            or row["external_id"].lower() != document_of[str(pk)]["id"].lower()
        ]
        assert not incoherent, (
            f"{len(incoherent)} items name another integration or document than the one holding theirs "
            f"(item, its integration, its external id, the document's id), e.g. {incoherent[:3]}"
        )
        attachments = Counter(
            (providers[pk], len(document_of[str(pk)]["attachments"]))
            for pk, row in rows.items()
            if len(document_of[str(pk)]["attachments"]) != (1 if row["attachment"] else 0)
        )
        assert not attachments, (
            f"documents with a wrong number of attachments ((provider, count): documents): {attachments}"
        )


EARLY_DRAWS = 8


def fault_seed(provider: str, rate: float) -> int:
    """``RELIABILITY_SEED`` if set; else a random seed whose first EARLY_DRAWS draws fire at least once."""
    from integrations.sandbox.faults import draw

    if os.environ.get("RELIABILITY_SEED"):
        return int(os.environ["RELIABILITY_SEED"])
    while True:
        seed = random.randrange(2**31)  # noqa: S311 - a fault pattern, not a secret
        if rate <= 0 or any(draw(seed, provider, n) < rate for n in range(1, EARLY_DRAWS + 1)):
            return seed


def consent_org(client, authorize_url: str, organisation_id: str) -> str:
    """Open a sandbox consent page and allow access to one chosen organisation; answers the redirect URL."""
    parts = urlsplit(authorize_url)
    page = client.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200, page.content
    form = [*parse_qsl(parts.query), ("decision", "allow"), ("org", organisation_id)]
    answer = client.post(parts.path, urlencode(form), content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 302, answer.content
    return answer["Location"]


def sandbox_organisation(provider: str, position: int) -> str:
    from integrations.sandbox.organisations import organisations_for

    return organisations_for(provider)[position].external_id


def connect_oauth(client, business: Business, user: User, provider: str, *, organisation: int = 0) -> Connection:
    """Connect an OAuth provider the way a person does (API start, sandbox consent, callback), choosing the
    sandbox's ``organisation``-th organisation so that businesses need not share a tenant's limits."""
    client.force_login(user)
    started = client.post(
        f"/api/v1/businesses/{business.id}/connections/", {"provider": provider}, content_type="application/json"
    )
    assert started.status_code == 202, started.content
    location = urlsplit(
        consent_org(client, started.json()["authorize_url"], sandbox_organisation(provider, organisation))
    )
    landed = client.get(f"{location.path}?{location.query}")
    assert landed.status_code == 302, landed.content
    connection = Connection.objects.for_business(business).get(provider=provider, status="active")
    sync_lists_now(connection)  # as the list sync's task would, before any item is made
    return connection


def reconnect_oauth(client, business: Business, user: User, connection: Connection, *, organisation: int = 0) -> None:
    """R5 through the settings page: Reconnect, consent to the same organisation, callback."""
    client.force_login(user)
    response = client.post(f"/b/{business.id}/settings/connections/{connection.id}/reconnect/")
    assert response.status_code == 302, response.content
    organisation_id = sandbox_organisation(connection.provider, organisation)
    location = urlsplit(consent_org(client, response["Location"], organisation_id))
    landed = client.get(f"{location.path}?{location.query}")
    assert landed.status_code == 302, landed.content


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def seed_items(
    business: Business,
    n: int,
    *,
    provider: str,
    attachments: bool = False,
    supplier: str = "Office Supplies Co",
    **fields,
) -> list[Item]:
    """``n`` ready costs of ``supplier``, inserted in one statement and resolved to an integration by the real rules
    (``provider`` only picks a category its sandbox knows); with ``attachments``, each has a PDF of its own."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    contact = supplier_get_or_create(business=business, name=supplier)
    day = date(2026, 11, 2)
    first = Item.objects.for_business(business).count()  # invoice numbers stay unique in the business
    items = [
        Item(
            business=business,
            kind="cost",
            state=ItemState.READY,
            supplier=contact,
            date=day,
            due_date=day + timedelta(days=30),
            invoice_number=f"REL-{business.pk.hex[:6]}-{i:05d}",
            total=Decimal("120.00"),
            tax=Decimal("20.00"),
            category=CATEGORY[provider],
            **fields,
        )
        for i in range(first, first + n)
    ]
    for number, item in enumerate(items):
        if attachments:
            item.attachment.name = default_storage.save(
                f"attachments/rel/{business.pk.hex[:6]}-{number:05d}.pdf",
                ContentFile(PDF + item.invoice_number.encode()),
            )
    Item.objects.bulk_create(items)
    items_reresolve(business=business, where="i.integration_id IS NULL", reason="Seeded")
    return items


def redis_db_claim(server_url: str) -> tuple[str, str]:
    """A Redis database of the server at ``server_url`` for this test session alone: the first of
    RELIABILITY_REDIS_DBS that no other run (another engineer's ``make test``) holds. Its workers would
    otherwise take this run's task messages, and its start-up flush would empty this run's queues."""
    token = f"{os.getpid()}@{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
    for number in RELIABILITY_REDIS_DBS:
        url = redis_url_with_db(server_url, number)
        if redis.Redis.from_url(url, socket_connect_timeout=5).set(OWNER_KEY, token, nx=True, ex=OWNER_TTL):
            return url, token
    raise RuntimeError(f"Redis databases {list(RELIABILITY_REDIS_DBS)} are all held by other reliability runs.")


def redis_db_empty(url: str, token: str) -> None:
    """Forget every key but the claim (and renew the claim)."""
    client = redis.Redis.from_url(url, socket_connect_timeout=5)
    assert client.get(OWNER_KEY) == token.encode(), f"another run took over {url}"
    keys = [k for k in client.scan_iter(count=1000) if k != OWNER_KEY.encode()]
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])
    client.expire(OWNER_KEY, OWNER_TTL)


def redis_db_release(url: str, token: str) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=5)
    if client.get(OWNER_KEY) == token.encode():
        client.flushdb()


def _ago(moment, now) -> str:
    return "-" if moment is None else f"{(moment - now).total_seconds():+.1f}s"
