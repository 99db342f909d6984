"""Benchmark of the Costs inbox, the items API, bulk integration changes and default re-pointing.

Self-contained: ``.venv/bin/python bench/inbox.py`` with DATABASE_URL / REDIS_URL set and
DJANGO_ENV=test. It works in its own database, ``dext_bench`` (created and migrated when missing),
seeded set-based with ``INSERT … SELECT generate_series``: one business with 100,000 items and 50
other businesses with 1,000 each. Requests go through Django's test Client and the real URL stack
and middleware; the time is the server time of one request. It prints figures and targets; it
does not pass or fail.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
import types
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dext_connections.settings")
os.environ.setdefault("DJANGO_ENV", "test")

BENCH_DB = os.environ.get("BENCH_DATABASE", "dext_bench")  # another name lets two checkouts bench side by side
BIG_ITEMS = 100_000
SMALL_BUSINESSES = 50
SMALL_ITEMS = 1_000
BULK_ITEMS = 10_000


def _point_at_bench_database() -> None:
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dext_connections")
    parts = urlsplit(url)
    os.environ["DATABASE_URL"] = urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


_point_at_bench_database()

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection as db  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import clear_url_caches, path  # noqa: E402

# ---------------------------------------------------------------- the database


def ensure_database() -> None:
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
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone() is None:
            print(f"creating database {BENCH_DB}")
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    call_command("migrate", verbosity=0, interactive=False)


_SUPPLIERS_SQL = """
INSERT INTO publishing_supplier (id, business_id, name, created_at)
SELECT gen_random_uuid(), %(b)s, 'Supplier ' || lpad(g::text, 4, '0'), now()
FROM generate_series(1, %(n)s) g
"""
_CUSTOMERS_SQL = _SUPPLIERS_SQL.replace("publishing_supplier", "publishing_customer").replace("Supplier ", "Customer ")

# Big business: every item unpublished and default-sourced, so that one default change re-points all
# 100,000 (costs follow the publishing default, claims the expense claims default).
# Other businesses: a realistic mix of kinds and states, mostly published.
_ITEMS_SQL = """
WITH s AS (SELECT array_agg(id ORDER BY name) AS ids FROM publishing_supplier WHERE business_id = %(b)s),
     c AS (SELECT array_agg(id ORDER BY name) AS ids FROM publishing_customer WHERE business_id = %(b)s)
INSERT INTO publishing_item (
    id, business_id, kind, state, supplier_id, customer_id, date, due_date, invoice_number, currency, total, tax,
    category, tax_rate, payment_method, paid, description, attachment, publish_as, integration_id,
    integration_source, last_publish_error, last_publish_error_kind, external_id, external_url, publish_attempts,
    attachment_status, attachment_error, created_at, updated_at)
SELECT gen_random_uuid(), %(b)s, k.kind, st.state,
       CASE WHEN k.kind <> 'sales' THEN s.ids[1 + g %% array_length(s.ids, 1)] END,
       CASE WHEN k.kind = 'sales' THEN c.ids[1 + g %% array_length(c.ids, 1)] END,
       (now() - (g || ' hours')::interval)::date, (now() - (g || ' hours')::interval + interval '30 days')::date,
       'INV-' || g, 'GBP', round((10 + (g * 7919) %% 200000 / 100.0)::numeric, 2),
       round((10 + (g * 7919) %% 200000 / 100.0)::numeric / 6, 2),
       CASE WHEN st.state = 'to_review' THEN '' ELSE '429 General Expenses' END, '20%% (VAT on Expenses)', '',
       false, '', '', '',
       CASE WHEN k.kind = 'sales' THEN %(main)s::uuid WHEN k.kind = 'expense_claim' THEN %(claims)s::uuid
            ELSE %(default)s::uuid END,
       CASE WHEN k.kind = 'sales' THEN 'main_only' ELSE 'default' END,
       CASE WHEN g %% 97 = 0 THEN 'The provider refused the document: account code archived' END,
       CASE WHEN g %% 97 = 0 THEN 'validation' ELSE '' END,
       CASE WHEN st.state = 'published' THEN 'EXT-' || g ELSE '' END, '', 0, '', '',
       now() - (g || ' minutes')::interval, now()
FROM generate_series(1, %(n)s) g, s, c,
     LATERAL (SELECT CASE WHEN %(big)s THEN (CASE WHEN g %% 10 = 1 THEN 'expense_claim' ELSE 'cost' END)
                          WHEN g %% 10 = 0 THEN 'sales' WHEN g %% 10 = 1 THEN 'expense_claim'
                          ELSE 'cost' END AS kind) k,
     LATERAL (SELECT CASE WHEN %(big)s THEN (CASE WHEN g %% 10 < 3 THEN 'to_review' ELSE 'ready' END)
                          WHEN g %% 20 < 2 THEN 'to_review' WHEN g %% 20 < 5 THEN 'ready'
                          WHEN g %% 20 = 19 THEN 'archived' ELSE 'published' END AS state) st
"""


def _connect(business, key, admin):
    from integrations import services
    from integrations.providers import registry
    from integrations.providers.base import ConnectResult

    result = ConnectResult(
        organisation_name=f"{business.name} ({key})",
        external_tenant_id=f"{key}-{business.pk}",
        credentials={"access_token": "bench", "refresh_token": "bench", "expires_at": 4102444800},
    )
    return services.connection_create(business=business, provider=registry.get(key), result=result, actor=admin)


def seed():
    from accounts.models import Business, BusinessMembership, BusinessRole, User
    from publishing.models import Item

    big = Business.objects.filter(name="Bench Big Ltd").first()
    if big is not None and Item.objects.for_business(big).count() == BIG_ITEMS:
        return
    print("seeding (one-off): 1 × 100,000 items + 50 × 1,000 items …", flush=True)
    started = time.perf_counter()
    with db.cursor() as cursor:
        cursor.execute(
            "TRUNCATE publishing_itemhistory, publishing_publishattempt, publishing_publishjob, publishing_item, "
            "publishing_supplierrule, publishing_supplier, publishing_customer, integrations_auditlogentry, "
            "integrations_publishingdefaults, integrations_oauthstate, integrations_connection CASCADE"
        )
    Business.objects.filter(name__startswith="Bench ").delete()
    admin, created = User.objects.get_or_create(email="bench@bench.test", defaults={"full_name": "Bench Admin"})
    if created:
        admin.set_password("bench-pass-123")
        admin.save()
    businesses = [(Business.objects.create(name="Bench Big Ltd"), BIG_ITEMS, 200, True)]
    businesses += [
        (Business.objects.create(name=f"Bench Small {n:02d}"), SMALL_ITEMS, 20, False) for n in range(SMALL_BUSINESSES)
    ]
    for business, items, suppliers, is_big in businesses:
        BusinessMembership.objects.create(
            user=admin, business=business, role=BusinessRole.BUSINESS_ADMIN, can_publish=True
        )
        xero = _connect(business, "xero", admin)
        bill = _connect(business, "bill_com", admin) if is_big else None
        with db.cursor() as cursor:
            cursor.execute(_SUPPLIERS_SQL, {"b": business.pk, "n": suppliers})
            cursor.execute(_CUSTOMERS_SQL, {"b": business.pk, "n": 10})
            cursor.execute(
                _ITEMS_SQL,
                {
                    "b": business.pk,
                    "n": items,
                    "big": is_big,
                    "main": xero.pk,
                    "claims": xero.pk,
                    "default": (bill or xero).pk,
                },
            )
    with db.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"seeded in {time.perf_counter() - started:.1f} s", flush=True)


def reset_big(big, xero, bill):
    """Every run starts from the same state: all items on their default, defaults on Bill.com / Xero."""
    from integrations.models import PublishingDefaults

    with db.cursor() as cursor:
        cursor.execute("TRUNCATE publishing_itemhistory")
        cursor.execute("DELETE FROM integrations_auditlogentry WHERE business_id = %s", [big.pk])
        cursor.execute(
            "UPDATE publishing_item SET integration_id = CASE WHEN kind = 'cost' THEN %s::uuid ELSE %s::uuid END, "
            "integration_source = 'default', integration_chosen_by_id = NULL WHERE business_id = %s",
            [bill.pk, xero.pk, big.pk],
        )
    PublishingDefaults.objects.for_business(big).update(
        default_publishing_connection=bill, default_expense_claims_connection=xero
    )
    with db.cursor() as cursor:
        cursor.execute("ANALYZE publishing_item")


# ---------------------------------------------------------------- measuring


def _trivial(request):
    return HttpResponse("ok")


def install_bench_urls() -> None:
    """The project's URLs plus two bench-only views served by the same stack (middleware, URL resolver):
    a bare "ok", and an empty signed-in business page (tenancy mixin, session, switchers, base template).
    """
    from django.views.generic import TemplateView

    from accounts.mixins import BusinessViewMixin
    from dext_connections import urls as project_urls

    class EmptyBusinessPage(BusinessViewMixin, TemplateView):
        template_name = "base.html"

    module = types.ModuleType("bench_urls")
    module.urlpatterns = [
        path("bench/trivial/", _trivial),
        path("bench/b/<uuid:business_id>/empty/", EmptyBusinessPage.as_view()),
        *project_urls.urlpatterns,
    ]
    sys.modules["bench_urls"] = module
    settings.ROOT_URLCONF = "bench_urls"
    clear_url_caches()


def measure(label, call, *, runs, warmup=3):
    for _ in range(warmup):
        call()
    times, queries = [], []
    for _ in range(runs):
        with CaptureQueriesContext(db) as captured:
            started = time.perf_counter()
            response = call()
            elapsed = time.perf_counter() - started
        status = getattr(response, "status_code", 200)
        if status >= 400:
            raise SystemExit(f"{label}: HTTP {status}: {getattr(response, 'content', b'')[:500]!r}")
        times.append(elapsed * 1000)
        queries.append(len(captured.captured_queries))
    times.sort()
    p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
    return {"label": label, "median": statistics.median(times), "p95": p95, "queries": max(queries), "runs": runs}


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "?"
    try:
        kb = int(
            next(li for li in Path("/proc/meminfo").read_text().splitlines() if li.startswith("MemTotal")).split()[1]
        )
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    with db.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return (
        f"{os.cpu_count()} CPUs (nproc), {cpu}, {ram} RAM; PostgreSQL {pg}; Python {platform.python_version()}; "
        "one process, Django test Client"
    )


def main() -> None:
    ensure_database()
    seed()
    from accounts.models import Business, User
    from integrations import services as connection_services
    from integrations.selectors import connections_live
    from publishing.models import Item, ItemKind, ItemState

    big = Business.objects.get(name="Bench Big Ltd")
    admin = User.objects.get(email="bench@bench.test")
    live = {c.provider: c for c in connections_live(business=big)}
    xero, bill = live["xero"], live["bill_com"]
    reset_big(big, xero, bill)
    install_bench_urls()

    client = Client()
    client.force_login(admin)
    inbox = f"/b/{big.id}/costs/"
    api_items = f"/api/v1/businesses/{big.id}/items/"

    # A deep cursor: the next-page link of page 1, then ~1,000 pages further down (same cursor format).
    from dext_connections.pagination import _encode

    deep = (
        Item.objects.for_business(big)
        .filter(kind=ItemKind.COST, state=ItemState.READY)
        .order_by("-created_at", "-id")
        .values_list("created_at", "id")[50_000:50_001]
        .get()
    )
    deep_cursor = _encode(list(deep))
    supplier_id = Item.objects.for_business(big).values_list("supplier_id", flat=True).first()

    results = []
    results.append(measure("trivial view (bench-only URL)", lambda: client.get("/bench/trivial/"), runs=200))
    results.append(measure("GET /healthz (database + broker ping)", lambda: client.get("/healthz"), runs=200))
    results.append(
        measure(
            "empty signed-in business page (bench-only URL)",
            lambda: client.get(f"/bench/b/{big.id}/empty/"),
            runs=100,
        )
    )
    results.append(measure("Costs inbox, To review tab, page 1", lambda: client.get(inbox), runs=60))
    results.append(measure("Costs inbox, Ready tab, page 1", lambda: client.get(f"{inbox}?tab=ready"), runs=60))
    results.append(
        measure(
            "Costs inbox, Ready tab, deep page (cursor at row 50,000)",
            lambda: client.get(f"{inbox}?tab=ready&cursor={deep_cursor}"),
            runs=60,
        )
    )
    results.append(
        measure(
            "Costs inbox, Ready tab, filtered by supplier",
            lambda: client.get(f"{inbox}?tab=ready&supplier={supplier_id}"),
            runs=60,
        )
    )
    results.append(
        measure(
            "Costs inbox, Ready tab, filtered by integration (Bill.com)",
            lambda: client.get(f"{inbox}?tab=ready&integration={bill.id}"),
            runs=60,
        )
    )
    results.append(
        measure(
            "Costs inbox, Ready tab, filtered by integration, no match",
            lambda: client.get(f"{inbox}?tab=ready&integration={xero.id}"),
            runs=20,
        )
    )
    results.append(
        measure(
            "items API list, kind=cost&state=ready, 50",
            lambda: client.get(f"{api_items}?kind=cost&state=ready"),
            runs=60,
        )
    )
    results.append(measure("items API list, no filter, 50", lambda: client.get(api_items), runs=30))

    # Bulk set_integration on 10,000 unpublished costs, alternating Xero / Bill.com so that every run moves them.
    bulk_ids = [
        str(i)
        for i in Item.objects.for_business(big)
        .filter(kind=ItemKind.COST, state=ItemState.READY)
        .order_by("-created_at")
        .values_list("pk", flat=True)[:BULK_ITEMS]
    ]
    targets = iter([xero, bill] * 10)

    def bulk():
        response = client.post(
            f"/api/v1/businesses/{big.id}/items/bulk/",
            {"ids": bulk_ids, "action": "set_integration", "integration": str(next(targets).id)},
            content_type="application/json",
        )
        body = response.json()
        assert body["updated"] == BULK_ITEMS and not body["errors"], body
        return response

    results.append(measure("bulk set_integration, 10,000 items (API)", bulk, runs=5, warmup=1))

    # A default change that re-points 100,000 items (both defaults flip between Bill.com and Xero).
    reset_big(big, xero, bill)
    flips = iter([xero, bill] * 5)
    expected = Item.objects.for_business(big).filter(integration_source="default").count()

    last = []

    def default_change():
        target = next(flips)
        last.append(target)
        connection_services.publishing_defaults_set(
            business=big,
            actor=admin,
            default_publishing_connection=target.id,
            default_expense_claims_connection=target.id,
        )
        return target

    results.append(
        measure(f"default change re-pointing {expected:,} items (service)", default_change, runs=3, warmup=1)
    )
    moved = Item.objects.for_business(big).filter(integration=last[-1]).count()
    assert moved == expected, f"the last default change moved {moved:,} of {expected:,} items"

    bare, healthz, empty = (r["median"] for r in results[:3])
    targets_text = {
        "Costs inbox": "≤ 12 queries, constant; median ≤ 3× trivial",
        "items API": "≤ 12 queries, constant",
        "bulk": "< 1,000 ms",
        "default change": "one UPDATE statement",
    }
    print()
    print(f"Machine: {machine()}")
    print(f"Load average while measuring: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(
        f"Data: 1 business × {BIG_ITEMS:,} items + {SMALL_BUSINESSES} businesses × {SMALL_ITEMS:,} items "
        f"(database {BENCH_DB})"
    )
    print()
    header = (
        f"{'measurement':60} {'median ms':>10} {'p95 ms':>9} {'queries':>8} "
        f"{'×bare':>7} {'×healthz':>9} {'×empty page':>12}  target"
    )
    print(header)
    print("-" * (len(header) + 40))
    for r in results:
        target = next((t for k, t in targets_text.items() if r["label"].startswith(k)), "baseline")
        print(
            f"{r['label']:60} {r['median']:10.2f} {r['p95']:9.2f} {r['queries']:8d} "
            f"{r['median'] / bare:7.1f} {r['median'] / healthz:9.1f} {r['median'] / empty:12.1f}  {target}"
        )
    print()
    print("Server time per request through Django's test Client (URL resolver, middleware, session, templates),")
    print("one process, warm caches; queries counted with CaptureQueriesContext (the bulk and default-change")
    print("rows include their transaction's BEGIN/COMMIT). Baselines: 'bare' returns 'ok' through the")
    print("middleware; 'healthz' pings PostgreSQL and Redis; 'empty page' is a signed-in business page")
    print("(tenancy, switchers, base template) with no content: the fixed cost of every page.")


if __name__ == "__main__":
    main()
