"""Coding an item from its ledger's lists on the pages: the searchable picker's options, and the inbox's Category
cell edited inline (htmx) like the Integration cell."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views import View

from accounts.mixins import BusinessViewMixin
from accounts.permissions import Action
from dext_connections.errors import ApplicationError
from dext_connections.htmx import announce
from integrations.lists.models import ListEntry, ListKind
from integrations.lists.selectors import list_entries
from integrations.models import LIVE_STATUSES, Connection
from publishing import fields as spec
from publishing import selectors, services
from publishing.coding import coder_of, coding_context
from publishing.models import ItemKind
from publishing.presenters import decorate_rows, row_context

PICKER_OPTIONS = 50  # a picker shows this many matches; typing narrows a chart of thousands


def usage_for(kind: str) -> str:
    return "sales" if kind == ItemKind.SALES else "purchases"


def picker_options(
    *, connection: Connection, field: spec.Field, q: str = "", selected=None, usage: str = "", kind=None
) -> list:
    """(value, label, selected) for a picker's select: "Not set", the current entry (kept in view whatever the
    search), then the active entries matching ``q`` (of ``kind``, by default the field's list)."""
    kind = kind or field.coding
    rows = list(list_entries(connection=connection, kind=kind, q=q, active=True, usage=usage)[:PICKER_OPTIONS])
    current = None
    if selected:
        current = (
            ListEntry.objects.for_business(connection.business_id)
            .filter(connection=connection, kind=kind)
            .by_id(selected)
        )
    options = [("", "Not set", current is None)]
    if current is not None:
        options.append((str(current.pk), current.label + ("" if current.active else " (archived)"), True))
    options += [(str(e.pk), e.label, False) for e in rows if current is None or e.pk != current.pk]
    return options


def picker(
    *, business, connection: Connection, field: spec.Field, entry, usage: str, prefix: str = "", kind=None
) -> dict:
    """What templates/publishing/_picker.html needs for one coded field of one form."""
    api_name = spec.API_ID[field.name]
    kind = kind or field.coding
    options = picker_options(
        connection=connection, field=field, selected=entry.pk if entry else None, usage=usage, kind=kind
    )
    return {
        "field": field,
        "label": field.label,
        "name": api_name,
        "id": f"{prefix}id_{api_name}",
        "search_id": f"{prefix}id_{field.name}_search",
        "ledger": connection.name,
        "what": kind.label.lower(),
        "url": reverse(
            "coding_options",
            kwargs={"business_id": business.id, "connection_id": connection.pk, "field": field.name},
        )
        + f"?usage={usage}&list={kind.value}",
        "options": options,
        "current": next((label for value, label, selected in options if selected and value), ""),
    }


def item_pickers(business, item, context=None) -> dict:
    """The pickers of an item's coded fields whose lists its ledger keeps ({field name: picker}); none without a
    ledger with lists (the fields are then words)."""
    context = context or coding_context(business)
    coder = coder_of(item, context)
    if coder is None:
        return {}
    connection = Connection.objects.for_business(business).get(pk=coder)
    return {
        f.name: picker(
            business=business,
            connection=connection,
            field=f,
            entry=getattr(item, f.entry_field),
            usage=usage_for(item.kind),
            kind=context.kind_for(f, item.kind, coder),
        )
        for f in spec.CODED
        if f.coding in context.keeps.get(coder, ())
    }


class CodingOptionsView(BusinessViewMixin, View):
    """GET ?q=…: a picker's <option>s, from one list of one of the business's connections."""

    def get(self, request, business_id, connection_id, field):
        f = spec.BY_NAME.get(field)
        connection = (
            Connection.objects.for_business(self.business).filter(status__in=LIVE_STATUSES).by_id(connection_id)
        )
        if f is None or f.coding is None or connection is None:
            raise Http404("No such list.")
        options = picker_options(
            connection=connection,
            field=f,
            q=request.GET.get("q", "")[:100],
            selected=request.GET.get(spec.API_ID[f.name]) or None,
            usage=request.GET.get("usage", "") if request.GET.get("usage") in ("sales", "purchases") else "",
            # Only the field's own list, or products for a category (a ledger whose sales lines name products).
            kind=ListKind.PRODUCTS if f.coding is ListKind.ACCOUNTS and request.GET.get("list") == "products" else None,
        )
        return render(request, "publishing/_picker_options.html", {"options": options})


class ItemCategoryCellView(BusinessViewMixin, View):
    """The inbox's Category cell: GET the inline picker (or, with ``cancel``, the row again); POST saves the
    category and answers the row, its result read out."""

    write_action = Action.EDIT_ITEMS

    def _row(self, request, item, **extra):
        connections = selectors.connections_for_items(business=self.business)
        decorate_rows([item], connections, self.business)
        context = {
            **row_context(self.access, connections, item.kind),
            "item": item,
            "items": [item],
            "contact_label": "Customer" if item.kind == ItemKind.SALES else "Supplier",
            "business": self.business,
            "access": self.access,
            **extra,
        }
        return render(request, "publishing/_item_rows.html", context)

    def get(self, request, business_id, item_id):
        item = services.item_get(business=self.business, item_id=item_id)
        if request.GET.get("cancel"):
            return self._row(request, item)
        pickers = item_pickers(self.business, item)
        if "category" not in pickers:
            raise Http404("This item's integration keeps no chart of accounts to choose from.")
        return render(
            request,
            "publishing/_category_cell.html",
            {"item": item, "business": self.business, "picker": picker_prefixed(pickers["category"], item)},
        )

    def post(self, request, business_id, item_id):
        item = services.item_get(business=self.business, item_id=item_id)
        error = None
        try:
            item = services.item_update(
                business=self.business,
                actor=request.user,
                item_id=item.pk,
                changes={"category_id": request.POST.get("category_id") or None},
            )
        except ApplicationError as exc:
            if exc.status_code == 404:
                raise
            error = exc.detail
        item = services.item_get(business=self.business, item_id=item.pk)
        response = self._row(request, item, category_error=error, category_saved=error is None)
        words = f"Not saved: {error}" if error else f"Saved: category {item.category or 'not set'}."
        return announce(response, words)


def picker_prefixed(p: dict, item) -> dict:
    """A picker whose ids are the row's own (many rows on one page)."""
    return {**p, "id": f"row-{item.pk}-{p['id']}", "search_id": f"row-{item.pk}-{p['search_id']}"}
