"""The list sync's engine against a scripted source: pages, bulk upserts, vanished entries, incremental passes,
limits met part-way, failures that keep the last good lists."""

from contextlib import nullcontext
from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.lists.models import ConnectionLists, ListEntry, ListKind, ListSyncStatus
from integrations.lists.source import Entry, Page, Pass
from integrations.lists.sync import list_counts, lists_sync_begin, lists_sync_step
from integrations.providers.base import AuthError, RateLimited, TransientError, ValidationError

A, P, T, C = ListKind.ACCOUNTS, ListKind.PAYMENT_ACCOUNTS, ListKind.TAX_RATES, ListKind.CONTACTS


class Script:
    """A list source whose pages are given by the test; ``fail`` raises instead of answering one call."""

    def __init__(self, lists: dict, *, page_size: int = 2, incremental=(A,)):
        self.lists = lists
        self.page_size = page_size
        self.calls = []
        self.fail: list = []
        self.passes = (
            Pass(fetch=A, gives=(A, P), incremental=A in incremental),
            Pass(fetch=T, gives=(T,)),
            Pass(fetch=C, gives=(C,), incremental=C in incremental),
        )

    def fetch(self, kind, *, page, since):
        self.calls.append((kind, page, since))
        if self.fail:
            raise self.fail.pop(0)
        entries = [e for e in self.lists.get(kind, []) if since is None or e.extra.get("changed", True)]
        start = int(page or 0)
        chunk = entries[start : start + self.page_size]
        more = start + self.page_size < len(entries)
        return Page(entries=chunk, next=str(start + self.page_size) if more else None)


def accounts(*codes, bank=()):
    rows = [Entry(kind=A, external_id=f"acc-{c}", code=c, name=f"Account {c}", kind_detail="EXPENSE") for c in codes]
    rows += [Entry(kind=P, external_id=f"bank-{b}", code=b, name=f"Bank {b}", kind_detail="BANK") for b in bank]
    return rows


def run(connection, source, **kwargs):
    """Steps until the run ends (no waiting: the test is the clock)."""
    lists_sync_begin(connection=connection, **kwargs)
    for _ in range(100):
        step = lists_sync_step(connection=connection, source=source, slot=nullcontext)
        if step.again is None:
            return
    raise AssertionError("the run did not end")


def unsynced(connection):
    """The connection as before its first sync: the ``connect`` fixture's test lists taken away."""
    ListEntry.objects.for_business(connection.business_id).filter(connection=connection).delete()
    ConnectionLists.objects.for_business(connection.business_id).filter(connection=connection).delete()
    return connection


@pytest.fixture
def xero(world, connect):
    return unsynced(connect(world.a, "xero"))


def test_a_full_sync_pages_through_every_list_and_counts(xero):
    source = Script({A: accounts("200", "400", "429", bank=["090"]), T: [Entry(T, "INPUT2", "20% VAT", code="INPUT2")]})
    run(xero, source)
    state = ConnectionLists.objects.for_business(xero.business_id).get(connection=xero)
    assert state.status == ListSyncStatus.READY and state.synced_at and state.error == ""
    assert state.counts == {"accounts": 3, "payment_accounts": 1, "tax_rates": 1}
    assert [c[1] for c in source.calls if c[0] == A] == [None, "2"], "two pages of accounts"
    assert ListEntry.objects.for_business(xero.business_id).get(kind=P).code == "090"


def test_entries_gone_from_the_ledger_become_inactive_never_deleted(xero):
    run(xero, Script({A: accounts("200", "400", "429")}))
    run(xero, Script({A: accounts("200", "429")}), full=True)
    rows = dict(ListEntry.objects.for_business(xero.business_id).filter(kind=A).values_list("code", "active"))
    assert rows == {"200": True, "400": False, "429": True}
    assert list_counts(connection=xero)["accounts"] == 2


def test_an_incremental_pass_asks_since_the_last_and_marks_nothing_vanished(xero):
    run(xero, Script({A: accounts("200", "400")}))
    later = Script({A: [Entry(A, "acc-500", "Account 500", code="500", extra={"changed": True})]})
    run(xero, later)
    since = [c[2] for c in later.calls if c[0] == A]
    assert since[0] is not None, "accounts were asked for what changed"
    assert [c[2] for c in later.calls if c[0] == T] == [None], "tax rates cannot be asked for changes"
    codes = set(
        ListEntry.objects.for_business(xero.business_id).filter(kind=A, active=True).values_list("code", flat=True)
    )
    assert codes == {"200", "400", "500"}, "an incremental pass sees changes only; nothing vanished"


def test_a_full_pass_is_due_after_a_week(xero):
    run(xero, Script({A: accounts("200")}))
    state = ConnectionLists.objects.for_business(xero.business_id).get(connection=xero)
    state.cursors = {
        k: {**v, "full_at": (timezone.now() - timedelta(days=8)).isoformat()} for k, v in state.cursors.items()
    }
    state.save()
    again = Script({A: accounts("200")})
    run(xero, again)
    assert [c[2] for c in again.calls if c[0] == A] == [None]


def test_a_limit_met_part_way_stops_and_the_next_step_carries_on_from_there(xero):
    source = Script({A: accounts("1", "2", "3", "4", "5")})
    lists_sync_begin(connection=xero)
    assert lists_sync_step(connection=xero, source=source, slot=nullcontext, max_pages=1).again == 0.0
    source.fail = [RateLimited("Slow down.", retry_after=7)]
    step = lists_sync_step(connection=xero, source=source, slot=nullcontext)
    assert step.again == 7 and step.pages == 0
    state = ConnectionLists.objects.for_business(xero.business_id).get(connection=xero)
    assert state.status == ListSyncStatus.SYNCING and state.progress["page"] == "2"
    while (step := lists_sync_step(connection=xero, source=source, slot=nullcontext)).again is not None:
        pass
    pages = [c[1] for c in source.calls if c[0] == A]
    assert pages == [None, "2", "2", "4"], "the page that met the limit was asked for again, nothing else"
    assert list_counts(connection=xero)["accounts"] == 5


def test_our_own_limiter_refusing_a_slot_waits_too(xero):
    def no_slot():
        raise RateLimited("Our own limit.", retry_after=3)

    lists_sync_begin(connection=xero)
    source = Script({A: accounts("1")})
    assert lists_sync_step(connection=xero, source=source, slot=no_slot).again == 3
    assert source.calls == [], "no provider call without a slot"


@pytest.mark.parametrize(
    "error", [ValidationError("Xero refused the request."), AuthError("Xero refused our authorisation.")]
)
def test_a_failed_sync_keeps_the_last_good_lists_and_says_why(xero, error):
    run(xero, Script({A: accounts("200", "400")}))
    broken = Script({A: accounts("999")})
    broken.fail = [error]
    run(xero, broken, full=True)
    state = ConnectionLists.objects.for_business(xero.business_id).get(connection=xero)
    assert state.status == ListSyncStatus.FAILED and state.error == error.message
    active = set(
        ListEntry.objects.for_business(xero.business_id).filter(kind=A, active=True).values_list("code", flat=True)
    )
    assert active == {"200", "400"}, "the last good lists stay in place"


def test_transient_errors_are_retried_then_fail(xero):
    source = Script({A: accounts("200")})
    source.fail = [TransientError("Xero had a problem (503).")] * 5
    lists_sync_begin(connection=xero)
    waits = []
    while (step := lists_sync_step(connection=xero, source=source, slot=nullcontext)).again is not None:
        waits.append(step.again)
    assert waits == [2.0, 4.0, 8.0, 16.0]
    assert ConnectionLists.objects.for_business(xero.business_id).get(connection=xero).status == ListSyncStatus.FAILED


def test_a_run_under_way_is_not_started_twice(xero):
    first = lists_sync_begin(connection=xero)
    lists_sync_step(connection=xero, source=Script({A: accounts(*map(str, range(10)))}), slot=nullcontext, max_pages=1)
    again = lists_sync_begin(connection=xero)
    assert again.progress["page"] == "2" and again.started_at == first.started_at


def test_lists_are_kept_per_connection_and_per_tenant(world, connect, xero):
    other = unsynced(connect(world.b, "xero"))
    run(xero, Script({A: accounts("200")}))
    run(other, Script({A: accounts("300")}))
    assert list_counts(connection=xero) == {"accounts": 1}
    assert set(ListEntry.objects.for_business(world.b).values_list("code", flat=True)) == {"300"}
