"""Benchmark of a practice's month-end (issue 14): 200 client businesses of one practice across Xero, QuickBooks
Online and Bill.com, 20,000 items with attachments (one client 5,000, the rest small), published through real
Celery worker processes to the provider sandbox (gunicorn), which enforces each provider's per-organisation limits:
Xero 60 calls a minute and 5 at once, QuickBooks Online 500 a minute and 10 at once, Bill.com 3 at once and
20,000 an hour per developer key (our own limiter keeps Bill.com to 300 a minute per connection).

The limit windows are shrunk by ``RATE_LIMIT_TIME_SCALE`` (default here 0.5: a 30-second "minute"), ours and the
sandbox's alike, so that the limits, not the wall clock, bound a run of minutes. Prints: total time; per provider,
the calls each full window received at the busiest connection against the limit; 429s the sandbox answered; the
wait of a small client's single item (published while the big backlog runs, one every second) p50/p95; the big
client's ETA error (predicted at the start against actual); CPU ms per item. No pass or fail.

``make bench-month-end`` (``python -m dext_connections.devstack bench bench/month_end.py``). Smaller runs:
MONTH_END_ITEMS (20000), MONTH_END_CLIENTS (200), MONTH_END_BIG (the big client's items, a quarter of them),
MONTH_END_BIG_PROVIDER (quickbooks_online), RATE_LIMIT_TIME_SCALE (0.5: one connection's message at a time
keeps up with QuickBooks Online's 40 batch requests a "minute" on a small machine; at 0.1 the machine, not the
limit, binds). Its own database (dext_bench_month_end), Redis database 7 (MONTH_END_REDIS_DB; emptied first);
every process it starts is stopped at the end.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.publish import (  # noqa: E402 (the repository root first)
    Processes,
    _bill_com_connections,
    _oauth_connections,
    _sandbox_organisations,
    cpu_seconds,
    free_port,
    machine,
    wait_for,
)

# Its own database and Redis db (dropped and filled again each run): several people may run it on one server.
BENCH_DB = os.environ.get("BENCH_DATABASE", "dext_bench_month_end")
BENCH_REDIS_DB = int(os.environ.get("BENCH_REDIS_DB", os.environ.get("MONTH_END_REDIS_DB", "7")))
ITEMS = int(os.environ.get("MONTH_END_ITEMS", "20000"))
CLIENTS = int(os.environ.get("MONTH_END_CLIENTS", "200"))
BIG = int(os.environ.get("MONTH_END_BIG", str(ITEMS // 4)))
BIG_PROVIDER = os.environ.get("MONTH_END_BIG_PROVIDER", "quickbooks_online")
SCALE = float(os.environ.get("RATE_LIMIT_TIME_SCALE", "0.5"))
PROVIDERS = ("xero", "quickbooks_online", "bill_com")
CATEGORY = {"xero": "429 General Expenses", "quickbooks_online": "20 Office Expenses", "bill_com": "Office"}
# The sandbox's per-minute count of each provider's organisation (its key prefix) and the limit it is held to.
WINDOW_KEY = {
    "xero": ("xero:minute:", 60),
    "quickbooks_online": ("qbo:minute:", 500),
    "bill_com": ("bill_com:minute:", 300),
}
REFUSED = {"xero": "xero", "quickbooks_online": "qbo", "bill_com": "bill_com"}
WORKER_PROCESSES = int(os.environ.get("BENCH_WORKERS", "2"))
WORKER_CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "4"))
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
TIMEOUT = 3600


def database_recreate() -> None:
    import psycopg
    from django.conf import settings

    options = settings.DATABASES["default"]
    params = {
        "dbname": "postgres",
        "user": options.get("USER") or None,
        "password": options.get("PASSWORD") or None,
        "host": options.get("HOST") or None,
        "port": options.get("PORT") or None,
        "autocommit": True,
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')


def seed() -> dict:
    """The practice, its clients (each with its own organisation in the sandbox), their connections, and their
    ready items with attachments: the big client's BIG, the rest spread over the others, plus one held-back item
    per small client for the single-item waits."""
    from django.core.files.storage import default_storage

    from accounts.models import Business, Practice
    from integrations.models import PublishingDefaults
    from publishing.models import Item, ItemState, Supplier

    practice = Practice.objects.create(name="Month-end Practice")
    # The big client first, then the small ones in turn over the three providers.
    providers = [BIG_PROVIDER] + [PROVIDERS[n % 3] for n in range(CLIENTS - 1)]
    clients = []  # (business, connection, provider)
    for provider in PROVIDERS:
        mine = [n for n, p in enumerate(providers) if p == provider]
        if not mine:
            continue
        businesses = Business.objects.bulk_create(
            [Business(name=f"Client {n:03d} ({provider})", practice=practice) for n in mine]
        )
        if provider == "bill_com":
            # An additional connection needs a main one (it makes no calls here: every cost goes to Bill.com).
            _oauth_connections("xero", businesses, _sandbox_organisations("xero", len(businesses)))
            connections = _bill_com_connections(businesses)
            PublishingDefaults.objects.bulk_create(
                [
                    PublishingDefaults(business=b, default_publishing_connection=c, default_expense_claims_connection=c)
                    for b, c in zip(businesses, connections, strict=True)
                ]
            )
        else:
            # US companies for QuickBooks Online: the sandbox's UK one wants a VAT rate on every line.
            organisations = [
                o
                for o in _sandbox_organisations(provider, len(mine) + 3)
                if provider != "quickbooks_online" or o.currency == "USD"
            ][: len(mine)]
            connections = _oauth_connections(provider, businesses, organisations)
        clients += [(n, b, c, provider) for n, b, c in zip(mine, businesses, connections, strict=True)]
    clients.sort(key=lambda row: row[0])
    small = len(clients) - 1
    rest = ITEMS - BIG
    counts = [BIG] + [rest // small + (1 if n < rest % small else 0) for n in range(small)]
    suppliers = Supplier.objects.bulk_create(
        [Supplier(business=b, name="Office Supplies Co") for _, b, _, _ in clients]
    )
    items, probes = [], []
    for (n, business, connection, provider), supplier, count in zip(clients, suppliers, counts, strict=True):
        for k in range(count + (1 if n else 0)):
            name = default_storage.save(f"attachments/month-end/{n:03d}-{k:05d}.pdf", _pdf(n, k))
            item = Item(
                business=business,
                kind="cost",
                state=ItemState.READY,
                supplier=supplier,
                date="2026-11-30",
                due_date="2026-12-30",
                invoice_number=f"M{n:03d}-{k:05d}",
                total="120.00",
                tax="20.00",
                category=CATEGORY[provider],
                integration=connection,
                integration_source="default" if provider == "bill_com" else "main",
            )
            item.attachment.name = name
            (probes if k == count else items).append(item)
    Item.objects.bulk_create(items + probes, batch_size=2500)
    return {"clients": clients, "items": items, "probes": probes, "practice": practice}


def _pdf(n: int, k: int):
    from django.core.files.base import ContentFile

    return ContentFile(PDF + f"{n}-{k}".encode())


def lists_sync_and_code(clients) -> int:
    """What a connect does before anyone publishes: the connection's lists read from the sandbox (the bench makes
    its connections directly, so no sync ran), then each client's items coded from them (their category is in
    words). Without it Xero's and Bill.com's items are refused: no account of their charts."""
    import contextlib

    from integrations.lists.sync import lists_sync_begin, lists_sync_step
    from integrations.providers import registry
    from publishing.demo import code_from_lists

    coded = 0
    for _, business, connection, _ in clients:
        provider = registry.get(connection.provider)
        if provider.list_kinds:
            lists_sync_begin(connection=connection, full=True)
            source = provider.list_source(connection)
            for _ in range(200):
                step = lists_sync_step(connection=connection, source=source, slot=contextlib.nullcontext)
                if step.again is None:
                    break
                time.sleep(max(0.0, step.again))
        coded += code_from_lists(business, None)
    return coded


def publish_all(clients, items) -> None:
    """Every client's month-end published in pages of 50 (people pressing Publish on an inbox page), round robin."""
    from publishing.pipeline import items_publish

    by_business: dict = {}
    for item in items:
        by_business.setdefault(item.business_id, []).append(item.pk)
    business_of = {b.pk: b for _, b, _, _ in clients}
    pending = [(business_of[pk], ids) for pk, ids in by_business.items()]
    random.Random(14).shuffle(pending)
    while pending:
        for business, ids in pending:
            result = items_publish(business=business, item_ids=ids[:50], actor=None, queue="publish_bulk")
            assert not result.errors, result.errors[:3]
            del ids[:50]
        pending = [row for row in pending if row[1]]


def probe_waits(clients, probes, big_items) -> list[float]:
    """While the big backlog runs: one small client's single item a second (interactive), and how long each took
    from Publish to published."""
    from publishing.models import Item, ItemState
    from publishing.pipeline import items_publish

    business_of = {b.pk: b for _, b, _, _ in clients}
    big_open = Item.all_tenants.filter(pk__in=[i.pk for i in big_items]).exclude(state=ItemState.PUBLISHED)
    in_flight = ("queued", "publishing")
    waiting = list(probes)
    asked = {}
    while waiting and big_open.exists():
        # A client whose own month-end is through publishes one more item (its wait is then the queue's, not its
        # own backlog's under its own limit).
        busy = set(
            Item.all_tenants.filter(business_id__in=[p.business_id for p in waiting], state__in=in_flight)
            .values_list("business_id", flat=True)
            .distinct()
        )
        probe = next((p for p in waiting if p.business_id not in busy), None)
        if probe is not None:
            waiting.remove(probe)
            items_publish(business=business_of[probe.business_id], item_ids=[probe.pk], actor=None)
            asked[probe.pk] = time.time()
        time.sleep(1.0)
    sent = list(asked)
    wait_for(
        lambda: Item.all_tenants.filter(pk__in=sent, state=ItemState.PUBLISHED).count() == len(sent),
        "the probes",
        timeout=TIMEOUT,
        every=0.5,
    )
    done = dict(Item.all_tenants.filter(pk__in=sent).values_list("pk", "published_at"))
    return [done[pk].timestamp() - asked[pk] for pk in sent]


def utilisation(connections) -> dict:
    """Per provider: at its busiest connection, the mean calls of the full windows (the first and last are partly
    idle) against the limit, and how many windows that is."""
    from integrations.sandbox import counters

    answer = {}
    for provider in PROVIDERS:
        prefix, limit = WINDOW_KEY[provider]
        tenants = {c.external_tenant_id for c in connections if c.provider == provider}
        per_key: dict = {}
        for key, _, count in counters.windows(prefix):
            if key[len(prefix) :] in tenants:
                per_key.setdefault(key, []).append(count)
        best = (0.0, 0, limit, 0, [])
        for counts in per_key.values():
            full = counts[1:-1]
            if full and (sum(full) / len(full)) / limit > best[0]:
                best = ((sum(full) / len(full)) / limit, len(full), limit, max(counts), counts)
        if not best[1] and per_key:  # no connection's backlog outlasted a window: its busiest window instead
            counts = max(per_key.values(), key=max)
            best = (max(counts) / limit, 0, limit, max(counts), counts)
        answer[provider] = best
    return answer


def main() -> int:
    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dext_connections")
    os.environ["DATABASE_URL"] = urlunsplit(urlsplit(server)._replace(path=f"/{BENCH_DB}"))
    broker = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    os.environ["REDIS_URL"] = urlunsplit(urlsplit(broker)._replace(path=f"/{BENCH_REDIS_DB}"))
    port = free_port()
    media = tempfile.mkdtemp(prefix="bench-month-end-media-")
    os.environ.update(
        {
            "DJANGO_ENV": "test",
            "DJANGO_SETTINGS_MODULE": "dext_connections.settings",
            "SITE_URL": f"http://127.0.0.1:{port}",
            "SANDBOX_ENABLED": "true",
            "LOG_LEVEL": "WARNING",
            "RATE_LIMIT_TIME_SCALE": str(SCALE),
            "MEDIA_ROOT": media,
            "PUBLISH_SWEEP_SECONDS": "5",
            "ATTACHMENT_UPLOADS_AT_ONCE": os.environ.get("ATTACHMENT_UPLOADS_AT_ONCE", "8"),  # production's
        }
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db.models import Max

    from integrations.ratelimit import _redis, minute_seconds
    from integrations.sandbox import counters
    from publishing.eta import connection_forecasts
    from publishing.models import AttachmentStatus, Item, ItemState

    print(f"machine: {machine()}", flush=True)
    started = time.monotonic()
    database_recreate()
    call_command("migrate", verbosity=0, interactive=False)
    _redis().flushdb()
    world = seed()
    clients, items, probes = world["clients"], world["items"], world["probes"]
    big_business, big_connection = clients[0][1], clients[0][2]
    big_items = [i for i in items if i.business_id == big_business.pk]
    mix = {p: sum(1 for *_, q in clients if q == p) for p in PROVIDERS}
    print(
        f"seeded in {time.monotonic() - started:.0f}s: {len(items)} items with attachments over {len(clients)} "
        f"clients of one practice ({', '.join(f'{p} {n}' for p, n in mix.items())}); the big client "
        f"{len(big_items)} items on {BIG_PROVIDER}; time scale {SCALE} "
        f"(a {minute_seconds():.1f}-second minute, ours and the sandbox's)",
        flush=True,
    )

    logs = Path(tempfile.mkdtemp(prefix="bench-month-end-"))
    processes = Processes(dict(os.environ), logs)
    python = sys.executable
    try:
        processes.start(
            "gunicorn",
            [python, "-m", "gunicorn", "dext_connections.wsgi:application", "--bind", f"127.0.0.1:{port}"]
            + ["--workers", "2", "--threads", "4", "--worker-class", "gthread", "--log-level", "warning"]
            + ["--backlog", "2048"],
        )
        for n in range(WORKER_PROCESSES):
            processes.start(
                f"worker{n}",
                [python, "-m", "celery", "-A", "dext_connections", "worker"]
                + ["-Q", "default,publish_interactive,publish_bulk", "--concurrency", str(WORKER_CONCURRENCY)]
                + ["--prefetch-multiplier", "1", "--without-gossip", "--without-mingle", "--without-heartbeat"]
                + ["--loglevel", "WARNING", "-n", f"monthend{n}@%h"],
            )
        processes.start(
            "beat",
            [python, "-m", "celery", "-A", "dext_connections", "beat", "--loglevel", "WARNING"]
            + ["--schedule", str(logs / "celerybeat-schedule")],
        )
        import httpx

        from dext_connections.celery import app

        wait_for(lambda: len(app.control.ping(timeout=0.5)) >= WORKER_PROCESSES, "the workers", timeout=120)

        def sandbox_up() -> bool:
            try:
                answer = httpx.get(
                    f"http://127.0.0.1:{port}/sandbox/xero/faults/",
                    headers={"Authorization": f"Bearer {settings.SANDBOX_TOKEN}"},
                    timeout=2,
                )
            except httpx.HTTPError:
                return False
            return answer.status_code == 200

        wait_for(sandbox_up, "gunicorn", timeout=120, every=0.2)
        print(
            f"processes: {WORKER_PROCESSES} Celery workers x concurrency {WORKER_CONCURRENCY}, gunicorn 2 x 4 threads "
            f"(the sandbox), beat; logs in {logs}",
            flush=True,
        )

        coded = lists_sync_and_code(clients)
        print(f"lists synced and items coded from them: {coded} items", flush=True)

        before = cpu_seconds()
        t0 = time.time()
        publish_all(clients, items)
        queued_in = time.time() - t0
        forecast = connection_forecasts([big_connection.pk])[big_connection.pk]
        predicted = forecast.eta.timestamp() - t0
        waits = probe_waits(clients, probes, big_items)
        everything = [i.pk for i in items + probes]

        rows = Item.all_tenants.filter(pk__in=everything)

        def done() -> bool:
            return (
                not rows.filter(state__in=(ItemState.QUEUED, ItemState.PUBLISHING)).exists()
                and not rows.filter(attachment_status__in=[AttachmentStatus.PENDING, AttachmentStatus.SENDING]).exists()
            )

        wait_for(done, "every item published (or refused) with its attachment", timeout=TIMEOUT, every=1.0)
        failed = rows.exclude(state=ItemState.PUBLISHED).count()
        total = time.time() - t0
        used = {role: seconds - before.get(role, 0.0) for role, seconds in cpu_seconds().items()}
        big_done = (
            (
                Item.all_tenants.filter(pk__in=[i.pk for i in big_items]).aggregate(last=Max("published_at"))["last"]
            ).timestamp()
            - t0
        )
    finally:
        processes.stop()

    count = len(items) + len(waits)
    print(
        f"total: {total:.1f}s for {count} items ({queued_in:.1f}s to queue them); {count / total:.1f} items/s; "
        f"{failed} not published"
    )
    use = utilisation([c for _, _, c, _ in clients])
    for provider, (share, windows, limit, peak, counts) in use.items():
        over = f"on average over {windows} full windows" if windows else "in its busiest window (none was full)"
        calls = f"{share * limit:.0f} calls a window {over} (peak {peak}) of {limit}"
        print(f"{provider}: busiest connection {calls}: {share:.0%}; its windows {counts}")
    refused = sum(counters.refused_total(REFUSED[p]) for p in PROVIDERS)
    print(f"429s answered by the sandbox: {refused}")
    p50 = statistics.median(waits) if waits else 0.0
    p95 = statistics.quantiles(waits, n=20)[-1] if len(waits) >= 2 else (waits[0] if waits else 0.0)
    print(f"small client's single item while the backlog ran: {len(waits)} items, wait p50 {p50:.1f}s, p95 {p95:.1f}s")
    error = abs(big_done - predicted) / big_done if big_done else 0.0
    print(f"big client ETA: predicted {predicted:.0f}s at the start, took {big_done:.0f}s: error {error:.0%}")
    split = ", ".join(f"{role} {seconds * 1000 / count:.1f}" for role, seconds in sorted(used.items()))
    print(f"CPU ms per item: {sum(used.values()) * 1000 / count:.1f} in all = {split}")
    print(
        f"month-end: {count} items, {len(clients)} clients, {total:.0f} s, utilisation "
        + " ".join(f"{p} {use[p][0]:.0%}" for p in PROVIDERS)
        + f", 429s {refused}, small-client p95 {p95:.1f} s, eta error {error:.0%}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
