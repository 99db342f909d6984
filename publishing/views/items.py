"""Pages of items: the Costs inbox, Expense claims and Sales lists with their bulk bar, Item details (and its
inline Integration control, row, status, publish, archive, attachment) and Upload."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.generic import TemplateView

from accounts.mixins import BusinessViewMixin
from accounts.permissions import Action, can, require
from dext_connections.errors import ApplicationError
from dext_connections.htmx import announce
from publishing import announcements, selectors, services
from publishing import fields as spec
from publishing.attaching import attachment_retry
from publishing.coding import coding_context, item_problems
from publishing.forms import AttachmentForm, ItemFieldsForm, UploadForm
from publishing.models import IN_FLIGHT_STATES, UNPUBLISHED_STATES, AttachmentStatus, ItemKind, ItemState
from publishing.pipeline import items_publish
from publishing.presenters import (
    contact_options_html,
    decorate_history,
    decorate_item,
    decorate_rows,
    queued_etas,
    row_context,
    state_label,
)
from publishing.views._common import LIST_URLS, PAGE_SIZE, item_url, safe_next
from publishing.views.coding import item_pickers

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
        decorate_rows(rows, connections, self.business)
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
            row_context(self.access, connections, self.kind),
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
            contact_options=contact_options_html(contacts, filters.customer if is_sales else filters.supplier),
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
        back = safe_next(request, reverse("costs_inbox", kwargs={"business_id": self.business.id}))
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
            return redirect(item_url(self.business, item))
        connections = selectors.connections_for_items(business=self.business)
        decorate_rows([item], connections, self.business)
        context = {
            **row_context(self.access, connections, item.kind),
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
        decorate_rows([item], connections, self.business)
        context = {
            **row_context(self.access, connections, item.kind),
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
            return render(
                request,
                "publishing/_publish_status.html",
                {
                    "item": item,
                    "business": self.business,
                    "label": state_label(item, connections.pull_labels),
                    "eta_text": queued_etas(self.business.id, [item]).get(str(item.id), (None, ""))[1],
                },
            )
        # Landed: the page reloads itself and reads the outcome out (a page message goes to the live region).
        decorate_rows([item], connections, self.business)
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
        decorate_item(item, connections)
        attachment_name = item.attachment.name.rsplit("/", 1)[-1] if item.attachment else ""
        problems = item_problems(item, coding_context(self.business)) if item.state in UNPUBLISHED_STATES else []
        pickers = item_pickers(self.business, item) if item.state in UNPUBLISHED_STATES else {}
        context.update(
            row_context(self.access, connections, item.kind),
            item=item,
            pickers=pickers,
            form=kwargs.get("form") or self._form(item),
            attachment_form=AttachmentForm(),
            history=decorate_history(selectors.item_history(item=item), connections),
            problems=problems,
            missing=[p["field"] for p in problems],
            can_publish=can(self.access, Action.PUBLISH),
            attachment_name=attachment_name,
            attachment_kept_here=self._kept_here(item),
            attachment_is_pdf=attachment_name.lower().endswith(".pdf"),
            list_url=reverse(LIST_URLS[item.kind], kwargs={"business_id": self.business.id}),
            list_title={ItemKind.COST: "Costs inbox", ItemKind.EXPENSE_CLAIM: "Expense claims"}.get(item.kind, "Sales"),
            editable=item.state not in (ItemState.QUEUED, ItemState.PUBLISHING),
            state_label=state_label(item, connections.pull_labels),
            eta_text=queued_etas(self.business.id, [item]).get(str(item.id), (None, ""))[1],
        )
        return context

    @staticmethod
    def _kept_here(item) -> str:
        """What a published item says when its ledger keeps no attachments (its file stays here only)."""
        if item.attachment_status != AttachmentStatus.KEPT_HERE or item.integration_id is None:
            return ""
        from integrations.providers import registry

        provider = registry.get_or_none(item.integration.provider)
        return f"{provider.name if provider else item.integration.name} keeps no attachments; the file stays here."

    def post(self, request, business_id, item_id):
        item = self._item()
        form = self._form(item, request.POST)
        if form.is_valid():
            changes = form.item_values()
            changes["customer" if item.kind == ItemKind.SALES else "supplier"] = form.cleaned_data["contact_name"]
            # Fields picked from the ledger's lists come as entries; their words are the entry's, not the form's.
            for name in item_pickers(self.business, item) if item.state in UNPUBLISHED_STATES else {}:
                changes.pop(name, None)
                changes[spec.API_ID[name]] = request.POST.get(spec.API_ID[name]) or None
            try:
                services.item_update(business=self.business, actor=request.user, item_id=item.pk, changes=changes)
            except ApplicationError as exc:
                messages.error(request, exc.detail)
            else:
                messages.success(request, "Saved.")
                return redirect(item_url(self.business, item))
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
        return HttpResponseRedirect(safe_next(request, item_url(self.business, item)))


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
        return redirect(item_url(self.business, item))


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
                return redirect(item_url(self.business, item))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ItemAttachmentRetryView(BusinessViewMixin, View):
    """**Retry attachment**: the document is in the ledger, its attachment is not; upload it again."""

    required_action = Action.PUBLISH

    def post(self, request, business_id, item_id):
        try:
            item = attachment_retry(business=self.business, actor=request.user, item_id=item_id)
        except ApplicationError as exc:
            if exc.status_code == 404:
                raise
            messages.error(request, exc.detail)
            item = services.item_get(business=self.business, item_id=item_id)
        else:
            messages.success(request, "Uploading the attachment again…")
        return redirect(item_url(self.business, item))
