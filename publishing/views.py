"""Pages: the Costs inbox, Expense claims and Sales lists, Item details, Upload and Supplier rules.

Thin views: parse input, call one service or selector, render. Every page goes through
BusinessViewMixin (the business comes from the URL, for this user, or 404) and every write is
guarded by the Action it needs.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views import View
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.generic import TemplateView

from accounts.mixins import BusinessViewMixin
from accounts.permissions import Action, can, require
from dext_connections.errors import ApplicationError
from dext_connections.htmx import announce
from integrations.providers import registry
from publishing import announcements, selectors, services
from publishing.forms import AttachmentForm, ItemFieldsForm, SupplierRuleForm, UploadForm
from publishing.models import IN_FLIGHT_STATES, UNPUBLISHED_STATES, IntegrationSource, ItemKind, ItemState
from publishing.pipeline import items_publish

PAGE_SIZE = 50
LIST_URLS = {ItemKind.COST: "costs_inbox", ItemKind.EXPENSE_CLAIM: "expense_claims_list", ItemKind.SALES: "sales_list"}

# ---------------------------------------------------------------- presentation helpers


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


_FIELD_LABELS = {
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


def _history_value(field: str, value: str, connections: selectors.ConnectionsView) -> str:
    if value == "":
        return ""
    if field == "integration":
        return connections.name_of(value)
    if field == "state":
        return ItemState(value).label if value in ItemState.values else value
    if field == "paid":
        return {"True": "Yes", "False": "No"}.get(value, value)
    return value


def _decorate_history(entries, connections: selectors.ConnectionsView):
    for entry in entries:
        entry.label = _FIELD_LABELS.get(entry.field, entry.field.replace("_", " ").capitalize())
        entry.before_text = _history_value(entry.field, entry.before, connections)
        entry.after_text = _history_value(entry.field, entry.after, connections)
    return entries


def _row_context(view, connections: selectors.ConnectionsView, kind: str) -> dict:
    """What every row of a list needs, computed once per request."""
    return {
        "kind": kind,
        "show_integration": connections.show_integration,
        "can_edit_integration": can(view.access, Action.EDIT_ITEM_INTEGRATION),
        # Every live connection is offered: a choice that does not fit is refused inline, with the reason.
        "integration_options": connections.live,
        "main_connection": connections.main,
    }


def state_label(item, pull_labels: dict) -> str:
    """``pull_labels``: ``registry.pull_labels(connections)``, what a queued item of a pull-delivery connection says."""
    if item.state == ItemState.QUEUED and item.integration_id in pull_labels:
        return pull_labels[item.integration_id]
    return ItemState(item.state).label


def _decorate_item(item, connections: selectors.ConnectionsView):
    item.integration_name = connections.name_of(item.integration_id)
    item.source_words = integration_source_words(item)
    item.integration_editable = item.state in UNPUBLISHED_STATES
    return item


_SENTINEL = uuid.UUID(int=0)


def _options_html(connections, selected) -> str:
    """The <option>s of an Integration select (rendered once per distinct choice, not once per row)."""
    options = [format_html('<option value="" selected>Not set</option>')] if selected is None else []
    options += [
        format_html('<option value="{}"{}>{}</option>', c.id, " selected" if c.id == selected else "", c.name)
        for c in connections
    ]
    return mark_safe("".join(options))  # noqa: S308 - every part went through format_html


def _decorate_rows(items, connections: selectors.ConnectionsView, business) -> list:
    """Prepare what each row shows, so that a page of rows is a plain loop in the template."""
    detail = reverse("item_detail", kwargs={"business_id": business.id, "item_id": _SENTINEL})
    integration = reverse("item_integration", kwargs={"business_id": business.id, "item_id": _SENTINEL})
    row = reverse("item_row", kwargs={"business_id": business.id, "item_id": _SENTINEL})
    sentinel = str(_SENTINEL)
    web_connector = registry.pull_labels(connections.live)
    options: dict = {}
    for item in items:
        _decorate_item(item, connections)
        item_id = str(item.id)
        item.url = detail.replace(sentinel, item_id)
        item.integration_url = integration.replace(sentinel, item_id)
        contact = item.customer if item.kind == ItemKind.SALES else item.supplier
        item.contact_name = contact.name if contact is not None else ""
        item.label = " ".join(part for part in (item.contact_name or "item", item.invoice_number) if part)
        item.state_label = state_label(item, web_connector)
        # Rows in flight ask for themselves again until they land (htmx polling that stops by itself).
        item.poll_url = row.replace(sentinel, item_id) if item.state in IN_FLIGHT_STATES else ""
        item.date_text = f"{item.date.day} {item.date:%b %Y}" if item.date else ""
        item.total_text = f"{item.total:,.2f}" if item.total is not None else ""
        item.tax_text = f"{item.tax:,.2f}" if item.tax is not None else ""
        if item.integration_id not in options:
            options[item.integration_id] = _options_html(connections.live, item.integration_id)
        item.options_html = options[item.integration_id]
    return items


def _contact_options_html(contacts, selected) -> str:
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((c.id, " selected" if c.id == selected else "", c.name) for c in contacts),
    )


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


def _item_url(business, item) -> str:
    return reverse("item_detail", kwargs={"business_id": business.id, "item_id": item.pk})


# ---------------------------------------------------------------- the lists


class ItemListView(BusinessViewMixin, TemplateView):
    """One list per kind with tabs, filters, search, bulk actions and keyset pages."""

    template_name = "publishing/item_list.html"
    kind: str = ItemKind.COST
    title = "Costs inbox"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        params = self.request.GET
        tab = params.get("tab") if params.get("tab") in selectors.TABS else "to_review"
        filters = selectors.ItemFilters.from_params(params, kinds=(self.kind,), states=selectors.TABS[tab][1])
        connections = selectors.connections_for_items(business=self.business)
        cursor = params.get("cursor") or None
        # A malformed cursor (hand-edited) is refused with a 400 page that says to start again.
        rows, next_cursor = selectors.items_page(business=self.business, filters=filters, cursor=cursor, size=PAGE_SIZE)
        _decorate_rows(rows, connections, self.business)
        is_sales = self.kind == ItemKind.SALES
        contacts = (
            selectors.customers_for_filter(business=self.business)
            if is_sales
            else selectors.suppliers_for_filter(business=self.business)
        )
        counts = selectors.tab_counts(business=self.business, kinds=(self.kind,))
        keep = params.copy()
        for name in ("cursor", "tab"):
            keep.pop(name, None)
        next_params = params.copy()
        next_params["cursor"] = next_cursor or ""
        first_params = params.copy()
        first_params.pop("cursor", None)
        context.update(
            _row_context(self, connections, self.kind),
            title=self.title,
            list_url=reverse(LIST_URLS[self.kind], kwargs={"business_id": self.business.id}),
            items=rows,
            tab=tab,
            tabs=[
                (key, label, counts.get(key), counts.get(key, 0) > selectors.TAB_COUNT_CAP)
                for key, (label, _) in selectors.TABS.items()
            ],
            filter_query=keep.urlencode(),
            next_query=next_params.urlencode() if next_cursor else "",
            first_query=first_params.urlencode() if cursor else "",
            filters=filters,
            contact_options=_contact_options_html(contacts, filters.customer if is_sales else filters.supplier),
            contact_param="customer" if is_sales else "supplier",
            contact_label="Customer" if is_sales else "Supplier",
            can_publish=can(self.access, Action.PUBLISH),
            is_sales=is_sales,
            bulk_integration_options=connections.accepting(self.kind) if not is_sales else [],
            current_url=self.request.get_full_path(),
        )
        return context


class CostsInboxView(ItemListView):
    kind = ItemKind.COST
    title = "Costs inbox"


class ExpenseClaimsView(ItemListView):
    kind = ItemKind.EXPENSE_CLAIM
    title = "Expense claims"


class SalesView(ItemListView):
    kind = ItemKind.SALES
    title = "Sales"


class ItemsBulkView(BusinessViewMixin, View):
    """The bulk bar of the lists: Publish, Change integration, Archive for the ticked rows."""

    ACTIONS = {"publish": Action.PUBLISH, "set_integration": Action.EDIT_ITEM_INTEGRATION, "archive": Action.EDIT_ITEMS}
    VERBS = {"publish": "queued for publishing", "set_integration": "moved", "archive": "archived"}

    def post(self, request, business_id):
        back = _safe_next(request, reverse("costs_inbox", kwargs={"business_id": self.business.id}))
        action = request.POST.get("action", "")
        if action not in self.ACTIONS:
            messages.error(request, "Choose what to do with the selected items.")
            return HttpResponseRedirect(back)
        require(self.access, self.ACTIONS[action])
        ids = request.POST.getlist("ids")
        if not ids:
            messages.warning(request, "Select at least one item first.")
            return HttpResponseRedirect(back)
        try:
            result = services.items_bulk(
                business=self.business,
                actor=request.user,
                item_ids=ids,
                action=action,
                connection_id=request.POST.get("integration") or None,
            )
        except ApplicationError as exc:
            messages.error(request, exc.detail)
            return HttpResponseRedirect(back)
        noun = "item" if result.updated == 1 else "items"
        if result.updated:
            messages.success(request, f"{result.updated} {noun} {self.VERBS[action]}.")
        if result.errors:
            shown = "; ".join(e["detail"] for e in result.errors[:3])
            more = f" (and {len(result.errors) - 3} more)" if len(result.errors) > 3 else ""
            count = len(result.errors)
            messages.error(request, f"{count} {'item was' if count == 1 else 'items were'} refused: {shown}{more}")
        return HttpResponseRedirect(back)


# ---------------------------------------------------------------- one item


class ItemIntegrationView(BusinessViewMixin, View):
    """The Integration control, inline (htmx): saves and answers the re-rendered row or field.

    A refusal (sales to an additional connection, a kind the provider does not take) is shown
    in place, next to the unchanged choice.
    """

    write_action = Action.EDIT_ITEM_INTEGRATION

    def post(self, request, business_id, item_id):
        error = None
        try:
            services.item_set_integration(
                business=self.business,
                actor=request.user,
                item_id=item_id,
                connection_id=request.POST.get("integration") or None,
            )
        except ApplicationError as exc:
            if exc.status_code == 404:
                raise
            error = exc.detail
        item = services.item_get(business=self.business, item_id=item_id)
        if not request.headers.get("HX-Request"):
            if error:
                messages.error(request, error)
            else:
                messages.success(request, "Integration saved.")
            return redirect(_item_url(self.business, item))
        connections = selectors.connections_for_items(business=self.business)
        _decorate_rows([item], connections, self.business)
        context = {
            **_row_context(self, connections, item.kind),
            "item": item,
            "items": [item],
            "contact_label": "Customer" if item.kind == ItemKind.SALES else "Supplier",
            "business": self.business,
            "access": self.access,
            "error": error,
            "saved": error is None,
        }
        field = request.POST.get("render") == "field"
        response = render(
            request, "publishing/_integration_field.html" if field else "publishing/_item_rows.html", context
        )
        return announce(response, announcements.integration_result(item, error))


class ItemRowView(BusinessViewMixin, View):
    """One list row, for the row's own polling while it is queued or publishing."""

    def get(self, request, business_id, item_id):
        item = services.item_get(business=self.business, item_id=item_id)
        connections = selectors.connections_for_items(business=self.business)
        _decorate_rows([item], connections, self.business)
        context = {
            **_row_context(self, connections, item.kind),
            "item": item,
            "items": [item],
            "contact_label": "Customer" if item.kind == ItemKind.SALES else "Supplier",
            "business": self.business,
            "access": self.access,
        }
        response = render(request, "publishing/_item_rows.html", context)
        if item.state not in IN_FLIGHT_STATES:  # it was in flight (only such rows poll) and has landed
            announce(response, announcements.landed(item, item.state_label))
        return response


class ItemStatusView(BusinessViewMixin, View):
    """The item page's publish status while in flight; once it lands, the page reloads itself."""

    def get(self, request, business_id, item_id):
        item = services.item_get(business=self.business, item_id=item_id)
        connections = selectors.connections_for_items(business=self.business)
        if item.state in IN_FLIGHT_STATES:
            web_connector = registry.pull_labels(connections.live)
            return render(
                request,
                "publishing/_publish_status.html",
                {"item": item, "business": self.business, "label": state_label(item, web_connector)},
            )
        # Landed: the page reloads itself and reads the outcome out (a page message goes to the live region).
        _decorate_rows([item], connections, self.business)
        words = announcements.landed(item, item.state_label)
        level = messages.SUCCESS if item.state == ItemState.PUBLISHED else messages.INFO
        messages.add_message(request, messages.ERROR if item.last_publish_error else level, words)
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response


class ItemDetailView(BusinessViewMixin, TemplateView):
    template_name = "publishing/item_detail.html"
    write_action = Action.EDIT_ITEMS

    def _item(self):
        return services.item_get(business=self.business, item_id=self.kwargs["item_id"])

    def _form(self, item, data=None):
        provider_choices = ()
        if item.integration_id is not None:
            from integrations.providers import registry

            provider = registry.get_or_none(item.integration.provider)
            provider_choices = provider.publish_as_choices if provider else ()
        initial = {
            "contact_name": item.contact.name if item.contact else "",
            **{name: getattr(item, name) for name in services.ITEM_FIELDS},
        }
        return ItemFieldsForm(data, initial=initial, kind=item.kind, publish_as_choices=provider_choices)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        item = kwargs.get("item") or self._item()
        connections = selectors.connections_for_items(business=self.business, include_disconnected=True)
        _decorate_item(item, connections)
        attachment_name = item.attachment.name.rsplit("/", 1)[-1] if item.attachment else ""
        context.update(
            _row_context(self, connections, item.kind),
            item=item,
            form=kwargs.get("form") or self._form(item),
            attachment_form=AttachmentForm(),
            history=_decorate_history(selectors.item_history(item=item), connections),
            missing=services.item_missing_fields(item),
            can_publish=can(self.access, Action.PUBLISH),
            attachment_name=attachment_name,
            attachment_is_pdf=attachment_name.lower().endswith(".pdf"),
            list_url=reverse(LIST_URLS[item.kind], kwargs={"business_id": self.business.id}),
            list_title={ItemKind.COST: "Costs inbox", ItemKind.EXPENSE_CLAIM: "Expense claims"}.get(item.kind, "Sales"),
            editable=item.state not in (ItemState.QUEUED, ItemState.PUBLISHING),
            state_label=state_label(item, registry.pull_labels(connections.live)),
        )
        return context

    def post(self, request, business_id, item_id):
        item = self._item()
        form = self._form(item, request.POST)
        if form.is_valid():
            changes = form.item_values()
            changes["customer" if item.kind == ItemKind.SALES else "supplier"] = form.cleaned_data["contact_name"]
            try:
                services.item_update(business=self.business, actor=request.user, item_id=item.pk, changes=changes)
            except ApplicationError as exc:
                messages.error(request, exc.detail)
            else:
                messages.success(request, "Saved.")
                return redirect(_item_url(self.business, item))
        context = self.get_context_data(item=item, form=form)
        return self.render_to_response(context, status=400)


class ItemPublishView(BusinessViewMixin, View):
    required_action = Action.PUBLISH

    def post(self, request, business_id, item_id):
        item = services.item_get(business=self.business, item_id=item_id)
        result = items_publish(
            business=self.business, item_ids=[item.pk], actor=request.user, queue="publish_interactive"
        )
        if result.errors:
            error = result.errors[0]
            missing = error.get("missing") or []
            detail = error["detail"]
            if missing:
                detail = f"Not ready to publish: fill in {', '.join(m.replace('_', ' ') for m in missing)} first."
            messages.error(request, detail)
        else:
            item.refresh_from_db()
            name = item.integration.name if item.integration_id else "the integration"
            messages.success(request, f"Queued for publishing to {name}.")
        return HttpResponseRedirect(_safe_next(request, _item_url(self.business, item)))


class ItemArchiveView(BusinessViewMixin, View):
    required_action = Action.EDIT_ITEMS

    def post(self, request, business_id, item_id):
        try:
            item = services.item_archive(business=self.business, actor=request.user, item_id=item_id)
        except ApplicationError as exc:
            if exc.status_code == 404:
                raise
            messages.error(request, exc.detail)
            return redirect("item_detail", business_id=self.business.id, item_id=item_id)
        messages.success(request, "Archived.")
        return redirect(_item_url(self.business, item))


@method_decorator(xframe_options_sameorigin, name="dispatch")  # the Item details page shows it in a frame
class ItemAttachmentView(BusinessViewMixin, View):
    """The attachment, through a tenant-checked view (never a public media URL); POST replaces it."""

    write_action = Action.EDIT_ITEMS

    def get(self, request, business_id, item_id):
        item = services.item_get(business=self.business, item_id=item_id)
        if not item.attachment:
            raise Http404("No attachment.")
        handle = item.attachment.open("rb")
        content_type = services.attachment_sniff(handle.read(1024)) or "application/octet-stream"
        handle.seek(0)
        response = FileResponse(handle, content_type=content_type)
        name = item.attachment.name.rsplit("/", 1)[-1]
        response["Content-Disposition"] = f'inline; filename="{name}"'
        response["Cache-Control"] = "private, max-age=300"
        return response

    def post(self, request, business_id, item_id):
        form = AttachmentForm(request.POST, request.FILES)
        if not form.is_valid():
            messages.error(request, "Choose a file to attach.")
        else:
            try:
                services.item_attachment_set(
                    business=self.business, actor=request.user, item_id=item_id, file=form.cleaned_data["attachment"]
                )
            except ApplicationError as exc:
                if exc.status_code == 404:
                    raise
                messages.error(request, exc.detail)
            else:
                messages.success(request, "Attachment replaced.")
        return redirect("item_detail", business_id=self.business.id, item_id=item_id)


class UploadView(BusinessViewMixin, TemplateView):
    """Create an item from a PDF or an image and the fields typed in (no text extraction)."""

    template_name = "publishing/upload.html"
    write_action = Action.EDIT_ITEMS

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        kind = self.request.GET.get("kind")
        initial = {"kind": kind if kind in ItemKind.values else ItemKind.COST, "currency": "GBP"}
        context.update(form=kwargs.get("form") or UploadForm(initial=initial))
        return context

    def post(self, request, business_id):
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                item = services.item_create(
                    business=self.business,
                    actor=request.user,
                    kind=form.cleaned_data["kind"],
                    contact_name=form.cleaned_data["contact_name"],
                    attachment=form.cleaned_data["attachment"],
                    **form.item_values(),
                )
            except ApplicationError as exc:
                for field, errors in (exc.extra.get("errors") or {"__all__": [exc.detail]}).items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                state = "ready to publish" if item.state == ItemState.READY else "waiting for review"
                messages.success(request, f"Uploaded: the item is {state}.")
                return redirect(_item_url(self.business, item))
        return self.render_to_response(self.get_context_data(form=form), status=400)


# ---------------------------------------------------------------- supplier rules


class SupplierRulesView(BusinessViewMixin, TemplateView):
    template_name = "publishing/supplier_rules.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        connections = selectors.connections_for_items(business=self.business)
        rules = list(selectors.supplier_rules_list(business=self.business))
        for rule in rules:
            rule.integration_name = connections.name_of(rule.integration_id)
        context.update(rules=rules, can_edit=can(self.access, Action.EDIT_SUPPLIER_RULES))
        return context


class SupplierRuleFormView(BusinessViewMixin, TemplateView):
    """Create (no ``rule_id``) or edit a supplier rule."""

    template_name = "publishing/supplier_rule_form.html"
    required_action = Action.EDIT_SUPPLIER_RULES

    def _rule(self):
        rule_id = self.kwargs.get("rule_id")
        return services.supplier_rule_get(business=self.business, rule_id=rule_id) if rule_id else None

    def _form(self, rule, data=None):
        connections = selectors.connections_for_items(business=self.business).accepting(ItemKind.COST)
        initial = {}
        if rule is not None:
            initial = {name: getattr(rule, name) for name in services.RULE_FIELDS}
            initial["paid"] = "" if rule.paid is None else ("true" if rule.paid else "false")
            initial.update(supplier_name=rule.supplier.name, integration=str(rule.integration_id or ""))
        else:
            initial["supplier_name"] = self.request.GET.get("supplier", "")
        return SupplierRuleForm(data, initial=initial, connections=connections)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rule = kwargs.get("rule", self._rule())
        context.update(
            rule=rule,
            form=kwargs.get("form") or self._form(rule),
            suppliers=selectors.suppliers_for_filter(business=self.business),
        )
        return context

    def post(self, request, business_id, rule_id=None):
        rule = self._rule()
        form = self._form(rule, request.POST)
        if form.is_valid():
            supplier = services.supplier_get_or_create(business=self.business, name=form.cleaned_data["supplier_name"])
            values = form.rule_values()
            apply = form.cleaned_data["apply_to_inbox"]
            integration = form.cleaned_data["integration"] or None
            try:
                if rule is None:
                    rule = services.supplier_rule_create(
                        business=self.business,
                        actor=request.user,
                        supplier_id=supplier.pk,
                        integration_id=integration,
                        apply_to_inbox=apply,
                        **values,
                    )
                else:
                    rule = services.supplier_rule_update(
                        business=self.business,
                        actor=request.user,
                        rule_id=rule.pk,
                        changes={"supplier": supplier.pk, "integration": integration, **values},
                        apply_to_inbox=apply,
                    )
            except ApplicationError as exc:
                if exc.status_code == 404:
                    raise
                form.add_error(
                    "integration" if "connection" in exc.code or exc.code == "kind_not_supported" else None, exc.detail
                )
            else:
                note = " and applied to the supplier's inbox items" if apply else ""
                messages.success(request, f"Supplier rule for {supplier.name} saved{note}.")
                return redirect("supplier_rules", business_id=self.business.id)
        return self.render_to_response(self.get_context_data(rule=rule, form=form), status=400)


class SupplierRuleDeleteView(BusinessViewMixin, View):
    required_action = Action.EDIT_SUPPLIER_RULES

    def post(self, request, business_id, rule_id):
        rule = services.supplier_rule_get(business=self.business, rule_id=rule_id)
        services.supplier_rule_delete(business=self.business, actor=request.user, rule_id=rule.pk)
        messages.success(request, f"Supplier rule for {rule.supplier.name} deleted.")
        return redirect("supplier_rules", business_id=self.business.id)
