"""Accounts draws the page frame; integrations adds its parts through accounts.page_context (no import up)."""

from django.db import connection as db_connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts import page_context
from accounts.context_processors import switchers
from accounts.selectors import business_access_for, businesses_for_user
from integrations.services import connection_mark_needs_reconnect


def test_integrations_adds_the_reconnect_banner_to_every_business_page(world, connect):
    xero = connect(world.a, "xero")
    access = business_access_for(user=world.users["business_admin"], business_id=world.a.id)
    assert page_context.business_page_context(access) == {"expired_connections": []}
    connection_mark_needs_reconnect(connection=xero, reason="expired")
    assert page_context.business_page_context(access) == {"expired_connections": [xero]}


def test_a_business_page_context_holds_what_each_contributor_adds(client, world, connect):
    connect(world.a, "xero")
    client.force_login(world.users["business_admin"])
    response = client.get(f"/b/{world.a.id}/costs/")
    assert response.context["expired_connections"] == []
    assert response.context["business"] == world.a


def test_the_client_switcher_reads_every_clients_connection_in_one_query(world, connect):
    xero = connect(world.a, "xero")
    user = world.users["practice_practice_admin"]
    clients = [a for a in businesses_for_user(user=user) if a.via == "practice"]
    assert len(clients) == 2
    with CaptureQueriesContext(db_connection) as queries:
        added = page_context.switcher_context(clients)
    assert added == {"switcher_connections": {world.a.id: xero}}
    assert len(queries) == 1

    request = RequestFactory().get("/switch/")
    request.user = user
    context = switchers(request)
    assert context["switcher_connections"] == {world.a.id: xero}
    assert [a.business for a in context["switcher_clients"]] == [a.business for a in clients]


def test_a_contributor_is_added_once():
    def extra(access):
        return {"extra": True}

    try:
        page_context.add_business_page(extra)
        page_context.add_business_page(extra)
        assert page_context._business_page.count(extra) == 1
    finally:
        page_context._business_page.remove(extra)
