"""Benchmark of the list sync and the pickers: one QuickBooks Online connection whose company has a chart of 5,000
accounts, 500 tax codes and 50,000 vendors and customers (the sandbox's ``SANDBOX_GENERATED_LISTS`` knob), synced
through the real sync task and engine, then searched through the picker view and the list API.

Run by ``make bench-lists`` (``python -m dext_connections.devstack bench bench/lists.py``), or by hand with
DATABASE_URL / REDIS_URL set and DJANGO_ENV=test. Self-contained: it drops and creates its own database,
``dext_bench_lists``, migrates it, makes one business, its admin and the connection (a sandbox grant and tokens, as
a consent leaves them), serves the sandbox with gunicorn, and runs the sync in a child process of its own (the
"worker": ``bench/lists.py --worker <connection id>``, the Celery task run eagerly), which reports its peak memory
(``ru_maxrss``), its SQL queries (``connection.execute_wrapper``) and the seconds of each list. It prints figures; it
does not pass or fail.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BENCH_DB = "dext_bench_lists"
REALM = "9130000000000042"
ACCOUNTS, TAX_CODES, VENDORS, CUSTOMERS = 5_000, 500, 25_000, 25_000
SEARCHES = 200
GENERATED = {REALM: {"accounts": ACCOUNTS, "tax_codes": TAX_CODES, "vendors": VENDORS, "customers": CUSTOMERS}}


def _environment(port: int) -> None:
    server = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dext_connections")
    os.environ["DATABASE_URL"] = urlunsplit(urlsplit(server)._replace(path=f"/{BENCH_DB}"))
    os.environ.update(
        {
            "DJANGO_ENV": "test",
            "DJANGO_SETTINGS_MODULE": "dext_connections.settings",
            "SITE_URL": f"http://127.0.0.1:{port}",
            "SANDBOX_ENABLED": "true",
            "SANDBOX_GENERATED_LISTS": json.dumps(GENERATED),
            "LOG_LEVEL": "WARNING",
        }
    )


# ---------------------------------------------------------------- the worker (a child process)


def worker(connection_id: str) -> int:
    """Run the connection's sync with the real task (eager: each send runs at once), and print what it cost."""
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection as db

    from dext_connections.celery import app
    from integrations.lists import sync
    from integrations.lists.tasks import sync_lists

    app.conf.task_always_eager = True
    settings.CELERY_TASK_ALWAYS_EAGER = True
    rss_before = next(  # kB in use now, before the sync (ru_maxrss below is the peak, start-up included)
        int(line.split()[1]) for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmRSS")
    )
    queries = [0]

    def count(execute, sql, params, many, context):
        queries[0] += 1
        return execute(sql, params, many, context)

    # Timing only: note when each pass (one list, or two filled by one walk) ends.
    passes: list[tuple[str, float]] = []
    done_page = sync._page_done
    mark = [time.monotonic()]

    def timed_page_done(connection, state, progress, current, page):
        index = progress["index"]
        done_page(connection, state, progress, current, page)
        if progress["index"] != index:
            now = time.monotonic()
            passes.append(("+".join(k.value for k in current.gives), now - mark[0]))
            mark[0] = now

    sync._page_done = timed_page_done
    started = time.monotonic()
    with db.execute_wrapper(count):
        sync_lists.delay(connection_id)
    seconds = time.monotonic() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {"seconds": seconds, "passes": passes, "queries": queries[0], "peak_kb": peak, "before_kb": rss_before}
        ),
        flush=True,
    )
    return 0


# ---------------------------------------------------------------- the bench


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


def seed():
    """The business, its admin, the sandbox company (its names stored up front) and the connection."""
    from accounts.models import Business, BusinessMembership, BusinessRole, User
    from bench.publish import _oauth_connections
    from integrations.sandbox import clock
    from integrations.sandbox.models import Organisation
    from integrations.sandbox.quickbooks_online.reference import names_seed

    business = Business.objects.create(name="Bench Lists Ltd")
    user = User.objects.create_user(email="admin@bench-lists.test", password="bench-lists-pass")  # noqa: S106
    BusinessMembership.objects.create(user=user, business=business, role=BusinessRole.BUSINESS_ADMIN)
    organisation = Organisation.objects.create(
        provider="quickbooks_online",
        external_id=REALM,
        name="Bench Big Chart Inc",
        currency="USD",
        position=90,
        created_at=clock.now(),
    )
    names_seed(organisation)
    (connection,) = _oauth_connections("quickbooks_online", [business], [organisation])
    return business, user, connection


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def searches() -> list[str]:
    """What people type: a word, the start of a word, an account number, a place, a number anywhere."""
    from integrations.sandbox.quickbooks_online.companies import _PLACES, _WORDS

    typed = []
    for n in range(SEARCHES):
        word = _WORDS[n % len(_WORDS)]
        typed.append(
            [word, word[:3], str(60_000 + n * 23 % ACCOUNTS), _PLACES[n % len(_PLACES)].lower(), f"{n * 7 % 1000:03d}"][
                n % 5
            ]
        )
    return typed


def latencies(client, url_of) -> list[float]:
    times = []
    for q in searches():
        started = time.perf_counter()
        answer = client.get(url_of(q))
        times.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200, answer.content[:300]
    return times


def main() -> int:
    from bench.publish import Processes, free_port, machine, wait_for

    port = free_port()
    _environment(port)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection as db
    from django.test import Client
    from django.urls import reverse

    from integrations.lists.models import ConnectionLists, ListKind, ListSyncStatus
    from integrations.lists.selectors import list_entries
    from integrations.lists.sync import lists_sync_begin
    from publishing.models import Item, ItemState

    print(f"machine: {machine()}", flush=True)
    started = time.monotonic()
    database_recreate()
    call_command("migrate", verbosity=0, interactive=False)
    business, user, connection = seed()
    print(f"seeded in {time.monotonic() - started:.1f}s", flush=True)

    logs = Path(tempfile.mkdtemp(prefix="bench-lists-"))
    processes = Processes(dict(os.environ), logs)
    try:
        processes.start(
            "gunicorn",
            [sys.executable, "-m", "gunicorn", "dext_connections.wsgi:application", "--bind", f"127.0.0.1:{port}"]
            + ["--workers", "2", "--threads", "4", "--worker-class", "gthread", "--log-level", "warning"],
        )
        import httpx

        def sandbox_up() -> bool:
            with contextlib.suppress(httpx.HTTPError):
                answer = httpx.get(
                    f"http://127.0.0.1:{port}/sandbox/quickbooks_online/faults/",
                    headers={"Authorization": f"Bearer {settings.SANDBOX_TOKEN}"},
                    timeout=2,
                )
                return answer.status_code == 200
            return False

        wait_for(sandbox_up, "gunicorn", timeout=120, every=0.2)
        lists_sync_begin(connection=connection, full=True)
        run = subprocess.run(  # noqa: S603 - this script, a connection id
            [sys.executable, str(Path(__file__).resolve()), "--worker", str(connection.pk)],
            cwd=ROOT,
            env=dict(os.environ),
            capture_output=True,
            text=True,
            check=False,
        )
        if run.returncode != 0:
            print(run.stdout, run.stderr, processes.log("gunicorn"), sep="\n")
            return 1
        figures = json.loads(run.stdout.strip().splitlines()[-1])
    finally:
        processes.stop()

    state = ConnectionLists.objects.for_business(business).get(connection=connection)
    if state.status != ListSyncStatus.READY:
        print(f"the sync did not end well: {state.status} {state.error}")
        return 1
    counts = state.counts
    print(f"counts: {json.dumps(counts, sort_keys=True)}")
    with db.cursor() as cursor:  # as autovacuum would after a bulk load, so the planner knows the new rows
        cursor.execute("ANALYZE integrations_listentry")
    for name, seconds in figures["passes"]:
        print(f"  {name:<28} {seconds:7.2f} s")
    peak_mb, before_mb = figures["peak_kb"] / 1024, figures["before_kb"] / 1024
    print(
        f"sync: {figures['seconds']:.1f} s, worker peak {peak_mb:.0f} MB (ru_maxrss; {before_mb:.0f} MB in use before "
        f"the sync), "
        f"{figures['queries']} SQL queries"
    )

    item = Item.objects.create(
        business=business,
        kind="cost",
        state=ItemState.TO_REVIEW,
        total="10.00",
        integration=connection,
        integration_source="main",
    )
    client = Client()
    client.force_login(user)
    picker = reverse(
        "coding_options", kwargs={"business_id": business.id, "connection_id": connection.pk, "field": "category"}
    )
    api = f"/api/v1/businesses/{business.id}/connections/{connection.pk}/lists/accounts/"
    client.get(f"{picker}?q=warm-up&usage=purchases")
    picker_ms = latencies(client, lambda q: f"{picker}?q={q}&usage=purchases&list={ListKind.ACCOUNTS.value}")
    api_ms = latencies(client, lambda q: f"{api}?q={q}&active=true")
    sql_ms = []  # the search alone (the picker's query), without the request around it
    for q in searches():
        started = time.perf_counter()
        list(list_entries(connection=connection, kind=ListKind.ACCOUNTS, q=q, active=True, usage="purchases")[:50])
        sql_ms.append((time.perf_counter() - started) * 1000)
    for what, times in (("picker view", picker_ms), ("list API", api_ms), ("search query", sql_ms)):
        print(
            f"{what}: {len(times)} searches of {counts.get('accounts', 0)} accounts, "
            f"p50 {statistics.median(times):.1f} ms, p95 {percentile(times, 0.95):.1f} ms, max {max(times):.1f} ms"
        )
    assert item.pk
    print(
        f"lists: {counts.get('accounts', 0)} accounts, {counts.get('tax_rates', 0)} tax rates, "
        f"{counts.get('contacts', 0)} contacts, {figures['seconds']:.1f} s, peak {peak_mb:.0f} MB, "
        f"{figures['queries']} queries, picker p95 {percentile(picker_ms, 0.95):.1f} ms "
        f"(its search query {percentile(sql_ms, 0.95):.1f} ms)"
    )
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        sys.exit(worker(sys.argv[2]))
    sys.exit(main())
