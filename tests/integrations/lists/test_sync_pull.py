"""The list sync for providers whose software fetches the work (QuickBooks Desktop's Web Connector): the run waits
for the provider to ask, names the page it wants, and takes the answer with the same effect as a fetched page."""

from datetime import timedelta

import pytest
from django.utils import timezone

from integrations.lists.models import ConnectionLists, ListEntry, ListKind, ListSyncStatus
from integrations.lists.source import Entry, Page, Pass
from integrations.lists.sync import (
    lists_page_received,
    lists_page_wanted,
    lists_pass_restart,
    lists_sync_begin,
    lists_sync_failed,
)
from integrations.providers.quickbooks_desktop import QuickBooksDesktop
from tests.integrations.qbwc.fake_web_connector import create_web_connector_connection

A, P, C = ListKind.ACCOUNTS, ListKind.PAYMENT_ACCOUNTS, ListKind.CONTACTS
PASSES = (Pass(fetch=A, gives=(A, P)), Pass(fetch=C, gives=(C,), incremental=True))


@pytest.fixture
def qbd(world, monkeypatch):
    monkeypatch.setattr(QuickBooksDesktop, "list_passes", PASSES)
    connection, _ = create_web_connector_connection(business=world.a)
    return connection


def accounts(*names):
    return [Entry(kind=A, external_id=f"id-{n}", code=n, name=n, kind_detail="Expense") for n in names]


def contacts(*names):
    return [Entry(kind=C, external_id=f"id-{n}", name=n, kind_detail="supplier") for n in names]


def state_of(connection):
    return ConnectionLists.objects.for_business(connection.business_id).get(connection=connection)


def walk(connection, pages: dict):
    """Answer every page the run asks for from ``pages`` ({(pass index, token): Page}) until it ends."""
    asked = []
    while (wanted := lists_page_wanted(connection=connection)) is not None:
        asked.append((wanted.index, wanted.page, wanted.since))
        page = pages[(wanted.index, wanted.page)]
        assert lists_page_received(connection=connection, source_pass=wanted.source_pass, page=page, asked=wanted.page)
        assert len(asked) < 20
    return asked


def test_no_run_no_page_wanted(qbd):
    assert lists_page_wanted(connection=qbd) is None


def test_a_pulled_run_walks_every_pass_and_page_then_ends_ready(qbd):
    lists_sync_begin(connection=qbd, full=True)
    pages = {
        (0, None): Page(accounts("Office Supplies", "Utilities:Electricity")),
        (1, None): Page(contacts("Paper Co"), next="it-1"),
        (1, "it-1"): Page(contacts("Acme Supplies")),
    }
    asked = walk(qbd, pages)
    assert [(i, p) for i, p, _ in asked] == [(0, None), (1, None), (1, "it-1")]
    state = state_of(qbd)
    assert state.status == ListSyncStatus.READY and state.synced_at and state.progress == {}
    assert state.counts == {"accounts": 2, "contacts": 2}
    assert set(state.cursors) == {"accounts", "payment_accounts", "contacts"}


def test_the_second_run_asks_only_for_changes_where_the_pass_can(qbd):
    lists_sync_begin(connection=qbd, full=True)
    walk(qbd, {(0, None): Page(accounts("Rent")), (1, None): Page(contacts("Paper Co"))})
    lists_sync_begin(connection=qbd)
    asked = walk(qbd, {(0, None): Page(accounts("Rent")), (1, None): Page([])})
    (_, _, accounts_since), (_, _, contacts_since) = asked
    assert accounts_since is None, "accounts are not incremental: always everything"
    assert contacts_since is not None and contacts_since < timezone.now()
    names = dict(ListEntry.objects.for_business(qbd.business_id).filter(kind=C).values_list("name", "active"))
    assert names == {"Paper Co": True}, "an incremental pass marks nothing vanished"


def test_a_full_pass_marks_what_it_did_not_see_inactive(qbd):
    lists_sync_begin(connection=qbd, full=True)
    walk(qbd, {(0, None): Page(accounts("Rent", "Old Account")), (1, None): Page([])})
    lists_sync_begin(connection=qbd, full=True)
    walk(qbd, {(0, None): Page(accounts("Rent")), (1, None): Page([])})
    rows = dict(ListEntry.objects.for_business(qbd.business_id).filter(kind=A).values_list("name", "active"))
    assert rows == {"Rent": True, "Old Account": False}


def test_answers_to_another_page_or_pass_are_dropped(qbd):
    lists_sync_begin(connection=qbd, full=True)
    wanted = lists_page_wanted(connection=qbd)
    page = Page(accounts("Rent"))
    assert not lists_page_received(connection=qbd, source_pass=PASSES[1], page=page, asked=None)
    assert not lists_page_received(connection=qbd, source_pass=wanted.source_pass, page=page, asked="it-9")
    assert not ListEntry.objects.for_business(qbd.business_id).exists()
    assert lists_page_received(connection=qbd, source_pass=wanted.source_pass, page=page, asked=None)
    # The same answer again (the provider repeated itself) is for a page the run no longer waits for.
    assert not lists_page_received(connection=qbd, source_pass=wanted.source_pass, page=page, asked=None)
    assert lists_page_wanted(connection=qbd).index == 1


def test_a_restarted_pass_asks_for_its_first_page_again(qbd):
    lists_sync_begin(connection=qbd, full=True)
    walk_until = lists_page_wanted(connection=qbd)
    lists_page_received(connection=qbd, source_pass=walk_until.source_pass, page=Page(accounts("Rent")), asked=None)
    wanted = lists_page_wanted(connection=qbd)
    lists_page_received(connection=qbd, source_pass=wanted.source_pass, page=Page(contacts("A"), next="it-1"))
    assert lists_page_wanted(connection=qbd).page == "it-1"
    lists_pass_restart(connection=qbd, source_pass=wanted.source_pass)
    again = lists_page_wanted(connection=qbd)
    assert (again.index, again.page) == (1, None)


def test_a_refused_request_fails_the_run_and_keeps_the_lists(qbd):
    lists_sync_begin(connection=qbd, full=True)
    walk(qbd, {(0, None): Page(accounts("Rent")), (1, None): Page([])})
    lists_sync_begin(connection=qbd, full=True)
    lists_page_wanted(connection=qbd)
    lists_sync_failed(connection=qbd, message="QuickBooks could not read the account list.")
    state = state_of(qbd)
    assert (state.status, state.error) == (ListSyncStatus.FAILED, "QuickBooks could not read the account list.")
    assert lists_page_wanted(connection=qbd) is None
    assert ListEntry.objects.for_business(qbd.business_id).get(kind=A).active


def test_a_run_that_waits_for_the_pc_is_not_lost_when_it_is_begun_again(qbd):
    """The sweeper begins a run again once it has not moved for a while; the provider's next poll then starts it."""
    lists_sync_begin(connection=qbd, full=True)
    lists_page_wanted(connection=qbd)
    ConnectionLists.objects.for_business(qbd.business_id).filter(connection=qbd).update(
        updated_at=timezone.now() - timedelta(days=1)
    )
    lists_sync_begin(connection=qbd)
    wanted = lists_page_wanted(connection=qbd)
    assert (wanted.index, wanted.page) == (0, None)
