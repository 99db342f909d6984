"""The lists on Business settings > Connections: each connection's block (counts, "Syncing lists…", the last
error), refreshed in place while a sync runs, and the Refresh lists button."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from accounts.mixins import BusinessViewMixin
from accounts.permissions import Action, can
from dext_connections.errors import NotFound
from dext_connections.htmx import announce
from integrations.lists.models import ListKind, ListSyncStatus
from integrations.lists.services import list_kinds_of, lists_refresh, lists_state
from integrations.models import Connection
from integrations.providers import registry


def lists_block(connection: Connection, *, can_manage: bool) -> dict:
    """What the template shows of one connection's lists."""
    provider = registry.get(connection.provider)
    state = lists_state(connection)
    labels = dict(ListKind.choices)
    return {
        "connection": connection,
        "state": state,
        "own": bool(provider.list_kinds),
        "from_main": provider.lists_from_main,
        "counts": [(labels[kind].lower(), state["counts"].get(kind, 0)) for kind in provider.list_kinds],
        "syncing": state["status"] == ListSyncStatus.SYNCING,
        "failed": state["status"] == ListSyncStatus.FAILED,
        "can_refresh": can_manage and bool(provider.list_kinds),
    }


def _connection(business, connection_id) -> Connection:
    from integrations.services import connection_get_live

    return connection_get_live(business=business, connection_id=connection_id)


class ListsBlockView(BusinessViewMixin, View):
    """GET: one connection's lists block (htmx polls it every few seconds while the lists sync)."""

    def get(self, request, business_id, connection_id):
        connection = _connection(self.business, connection_id)
        block = lists_block(connection, can_manage=can(self.access, Action.MANAGE_CONNECTIONS))
        response = render(request, "integrations/_lists.html", {"lists": block, "business": self.business})
        if request.GET.get("was") == ListSyncStatus.SYNCING and not block["syncing"]:
            done = "synced" if not block["failed"] else "not synced: " + (block["state"]["error"] or "it failed")
            announce(response, f"{connection.name}'s lists {done}.")
        return response


class ListsRefreshView(BusinessViewMixin, View):
    """POST: sync the connection's lists now."""

    required_action = Action.MANAGE_CONNECTIONS

    def post(self, request, business_id, connection_id):
        connection = _connection(self.business, connection_id)
        if not list_kinds_of(connection):
            raise NotFound(f"{connection.name} keeps no lists of its own.")
        lists_refresh(connection=connection)
        messages.success(request, f"Syncing {connection.name}'s lists…")
        return redirect(reverse("connections", kwargs={"business_id": self.business.id}))
