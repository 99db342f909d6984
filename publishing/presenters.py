"""How items, their history and their Integration control are shown: labels, words, row decoration, option HTML.

The views call these with what the selectors read; nothing here queries the database or writes.
"""

from __future__ import annotations

import uuid

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from accounts.permissions import Access, Action, can
from integrations.lists.models import ListKind
from publishing import eta, selectors
from publishing.coding import coder_of, coding_context, item_problems
from publishing.models import IN_FLIGHT_STATES, UNPUBLISHED_STATES, IntegrationSource, ItemKind, ItemState


def integration_source_words(item) -> str:
    """Where the item's integration came from, in words a person reads on the Item details page."""
    source = item.integration_source
    if item.integration_id is not None and source is None and item.state == ItemState.PUBLISHED:
        return "the integration it was published to"  # reached it while that integration was being disconnected
    if item.integration_id is None or source is None:
        return "not set yet: connect accounting software that takes this kind of item"
    if source == IntegrationSource.MANUAL:
        chooser = item.integration_chosen_by
        return f"chosen by {chooser.display_name}" if chooser else "chosen by hand"
    if source == IntegrationSource.SUPPLIER_RULE:
        return f"set by supplier rule {item.supplier.name}" if item.supplier_id else "set by a supplier rule"
    if source == IntegrationSource.DEFAULT:
        return "default for expense claims" if item.kind == ItemKind.EXPENSE_CLAIM else "default"
    if source == IntegrationSource.MAIN_ONLY:
        return "sales always go to the main connection"
    return "main connection"


FIELD_LABELS = {
    "created": "Created",
    "state": "Status",
    "integration": "Integration",
    "supplier": "Supplier",
    "customer": "Customer",
    "date": "Date",
    "due_date": "Due date",
    "invoice_number": "Invoice no.",
    "currency": "Currency",
    "total": "Total",
    "tax": "Tax",
    "category": "Category",
    "tax_rate": "Tax rate",
    "payment_method": "Payment method",
    "paid": "Paid",
    "description": "Description",
    "publish_as": "Publish as",
    "attachment": "Attachment",
}


def history_value(field: str, value: str, connections: selectors.ConnectionsView) -> str:
    if value == "":
        return ""
    if field == "integration":
        return connections.name_of(value)
    if field == "state":
        return ItemState(value).label if value in ItemState.values else value
    if field == "paid":
        return {"True": "Yes", "False": "No"}.get(value, value)
    return value


def decorate_history(entries, connections: selectors.ConnectionsView):
    for entry in entries:
        entry.label = FIELD_LABELS.get(entry.field, entry.field.replace("_", " ").capitalize())
        entry.before_text = history_value(entry.field, entry.before, connections)
        entry.after_text = history_value(entry.field, entry.after, connections)
    return entries


def row_context(access: Access, connections: selectors.ConnectionsView, kind: str) -> dict:
    """What every row of a list needs, computed once per request."""
    return {
        "kind": kind,
        "show_integration": connections.show_integration,
        "can_edit_integration": can(access, Action.EDIT_ITEM_INTEGRATION),
        # Every live connection is offered: a choice that does not fit is refused inline, with the reason.
        "integration_options": connections.live,
        "main_connection": connections.main,
    }


def state_label(item, pull_labels: dict) -> str:
    """``pull_labels``: ``ConnectionsView.pull_labels``, what a queued item of a pull-delivery connection says."""
    if item.state == ItemState.QUEUED and item.integration_id in pull_labels:
        return pull_labels[item.integration_id]
    return ItemState(item.state).label


def _duration_words(seconds: float) -> str:
    if seconds < 60:
        return "less than a minute"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"about {minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(seconds / 3600)
    if hours < 36:
        return f"about {hours} hours"
    return f"about {round(seconds / 86400)} days"


def eta_words(when, *, now=None, lead: str = "Expected to publish by") -> str:
    """'Expected to publish by 14:32 (about 12 minutes)'; the day too when it is not today."""
    if when is None:
        return ""
    now = now or timezone.now()
    local = timezone.localtime(when)
    clock = f"{local:%H:%M}" if local.date() == timezone.localtime(now).date() else f"{local.day} {local:%b %H:%M}"
    return f"{lead} {clock} ({_duration_words(max(0.0, (when - now).total_seconds()))})"


def queued_etas(business_id, items) -> dict[str, tuple]:
    """For each queued item of ``items``, by id: (its ETA or None, the words that say it). One read of the
    forecasts for the whole page, never one per item; a connection waiting for its daily limit says so instead."""
    queued = [item for item in items if item.state == ItemState.QUEUED]
    if not queued:
        return {}
    etas = eta.item_etas(business_id, [item.id for item in queued])
    forecasts = eta.connection_forecasts({item.integration_id for item in queued if item.integration_id})
    now, answer = timezone.now(), {}
    for item in queued:
        when = etas.get(str(item.id))
        forecast = forecasts.get(item.integration_id)
        if forecast is not None and forecast.waiting_for_day:
            answer[str(item.id)] = (when, forecast.reason or "Waiting for the provider's daily limit to reset.")
        else:
            answer[str(item.id)] = (when, eta_words(when, now=now))
    return answer


def decorate_item(item, connections: selectors.ConnectionsView):
    item.integration_name = connections.name_of(item.integration_id)
    item.source_words = integration_source_words(item)
    item.integration_editable = item.state in UNPUBLISHED_STATES
    return item


_SENTINEL = uuid.UUID(int=0)


def options_html(connections, selected) -> str:
    """The <option>s of an Integration select (rendered once per distinct choice, not once per row)."""
    options = [format_html('<option value="" selected>Not set</option>')] if selected is None else []
    options += [
        format_html('<option value="{}"{}>{}</option>', c.id, " selected" if c.id == selected else "", c.name)
        for c in connections
    ]
    return mark_safe("".join(options))  # noqa: S308 - every part went through format_html


def decorate_rows(items, connections: selectors.ConnectionsView, business) -> list:
    """Prepare what each row shows, so that a page of rows is a plain loop in the template."""
    detail = reverse("item_detail", kwargs={"business_id": business.id, "item_id": _SENTINEL})
    integration = reverse("item_integration", kwargs={"business_id": business.id, "item_id": _SENTINEL})
    row = reverse("item_row", kwargs={"business_id": business.id, "item_id": _SENTINEL})
    category = reverse("item_category", kwargs={"business_id": business.id, "item_id": _SENTINEL})
    sentinel = str(_SENTINEL)
    pull_labels = connections.pull_labels
    coding = coding_context(business)
    with_chart = set(coding.keeping(ListKind.ACCOUNTS))
    options: dict = {}
    for item in items:
        decorate_item(item, connections)
        item_id = str(item.id)
        item.url = detail.replace(sentinel, item_id)
        item.integration_url = integration.replace(sentinel, item_id)
        contact = item.customer if item.kind == ItemKind.SALES else item.supplier
        item.contact_name = contact.name if contact is not None else ""
        item.label = " ".join(part for part in (item.contact_name or "item", item.invoice_number) if part)
        item.state_label = state_label(item, pull_labels)
        # Rows in flight ask for themselves again until they land (htmx polling that stops by itself).
        item.poll_url = row.replace(sentinel, item_id) if item.state in IN_FLIGHT_STATES else ""
        item.date_text = f"{item.date.day} {item.date:%b %Y}" if item.date else ""
        item.total_text = f"{item.total:,.2f}" if item.total is not None else ""
        item.tax_text = f"{item.tax:,.2f}" if item.tax is not None else ""
        if item.integration_id not in options:
            options[item.integration_id] = options_html(connections.live, item.integration_id)
        item.options_html = options[item.integration_id]
        # The Category cell opens a picker of the item's ledger's chart; a to_review badge says what is missing.
        coder = coder_of(item, coding)
        item.category_url = category.replace(sentinel, item_id)
        item.category_editable = item.state in UNPUBLISHED_STATES and coder in with_chart
        item.problems_text = (
            " ".join(p["detail"] for p in item_problems(item, coding)) if item.state == ItemState.TO_REVIEW else ""
        )
    etas = queued_etas(business.id, items)
    for item in items:
        item.eta, item.eta_text = etas.get(str(item.id), (None, ""))
    return items


def contact_options_html(contacts, selected) -> str:
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((c.id, " selected" if c.id == selected else "", c.name) for c in contacts),
    )
