"""Business settings > Connections, the OAuth callback, and the audit log page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views import View
from django.views.generic import TemplateView

from accounts.audit import audit_entries_for
from accounts.mixins import BusinessViewMixin
from accounts.permissions import Action, can
from dext_connections.errors import ApplicationError
from dext_connections.pagination import keyset_page
from integrations import services
from integrations.lists.views import lists_block
from integrations.models import ConnectionStatus, OAuthState, ProviderKind
from integrations.providers import registry
from integrations.providers.base import AuthKind
from integrations.selectors import connections_live


def _connections_url(business) -> str:
    return reverse("connections", kwargs={"business_id": business.id})


class ConnectionsView(BusinessViewMixin, TemplateView):
    template_name = "integrations/connections.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        live = list(connections_live(business=self.business))
        main = next((c for c in live if c.kind == ProviderKind.MAIN), None)
        by_provider = {c.provider: c for c in live}
        active = [c for c in live if c.status == ConnectionStatus.ACTIVE]
        defaults = services.publishing_defaults_get(business=self.business)
        can_manage = can(self.access, Action.MANAGE_CONNECTIONS)
        for connection in live:
            connection.lists = lists_block(connection, can_manage=can_manage)
            connection.note = registry.get(connection.provider).connection_note
        context.update(
            main=main,
            main_providers=registry.main_providers(),
            additional=[(p, by_provider.get(p.key)) for p in registry.additional_providers()],
            can_manage=can_manage,
            can_view_audit=can(self.access, Action.VIEW_AUDIT_LOG),
            show_defaults=len(active) > 1,
            active=active,
            claims_choices=[c for c in active if c.accepts("expense_claim")],
            defaults=defaults,
            oauth=AuthKind.OAUTH2,
            credentials_auth=AuthKind.CREDENTIALS,
            # The main connection is a Web Connector's: offer its .qwc file (QwcDownloadView checks the same).
            web_connector_file=main is not None and registry.get(main.provider).auth is AuthKind.WEB_CONNECTOR,
        )
        return context


class ConnectView(BusinessViewMixin, View):
    """POST provider=<key>: OAuth → the provider's consent page; QuickBooks Desktop → its Web Connector details."""

    required_action = Action.MANAGE_CONNECTIONS

    def post(self, request, business_id):
        provider_key = request.POST.get("provider", "")
        provider = registry.get_or_none(provider_key)
        if provider is not None and provider.auth is AuthKind.CREDENTIALS:
            return redirect("connect_credentials", business_id=self.business.id, provider=provider.key)
        try:
            started = services.connection_start(
                business=self.business, provider_key=provider_key, credentials=None, actor=request.user
            )
        except ApplicationError as exc:
            messages.error(request, exc.detail)
            return redirect(_connections_url(self.business))
        if started.authorize_url:
            return redirect(started.authorize_url)
        response = render(
            request,
            "integrations/web_connector_created.html",
            {
                "business": self.business,
                "access": self.access,
                "connection": started.connection,
                "shown_once": started.shown_once,
            },
        )
        add_never_cache_headers(response)  # the Web Connector password is shown this once
        return response


class ConnectCredentialsView(BusinessViewMixin, TemplateView):
    """Bill.com: organisation id, developer key, user name and password, checked by a real login."""

    template_name = "integrations/connect_credentials.html"
    required_action = Action.MANAGE_CONNECTIONS
    FIELDS = (
        ("organization_id", "Organisation ID", "text"),
        ("dev_key", "Developer key", "password"),
        ("username", "User name", "text"),
        ("password", "Password", "password"),
    )

    def _provider(self):
        provider = registry.get_or_none(self.kwargs["provider"])
        if provider is None or provider.auth is not AuthKind.CREDENTIALS:
            raise ApplicationError(
                "unknown_provider", "That provider does not connect with credentials.", status_code=404
            )
        return provider

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(provider=self._provider(), fields=self.FIELDS, reconnect=self.request.GET.get("reconnect", ""))
        return context

    def post(self, request, business_id, provider):
        provider = self._provider()
        credentials = {name: request.POST.get(name, "") for name, _, _ in self.FIELDS}
        reconnect = request.POST.get("reconnect", "")
        try:
            if reconnect:
                services.connection_reconnect_start(
                    business=self.business, connection_id=reconnect, credentials=credentials, actor=request.user
                )
                messages.success(request, f"{provider.name} is reconnected.")
            else:
                services.connection_start(
                    business=self.business, provider_key=provider.key, credentials=credentials, actor=request.user
                )
                messages.success(request, f"{provider.name} is connected.")
        except ApplicationError as exc:
            context = self.get_context_data()
            context.update(
                error=exc.detail, values={k: v for k, v in credentials.items() if k in ("organization_id", "username")}
            )
            return self.render_to_response(context, status=exc.status_code)
        return redirect(_connections_url(self.business))


class ReconnectView(BusinessViewMixin, View):
    required_action = Action.MANAGE_CONNECTIONS

    def post(self, request, business_id, connection_id):
        connection = services.connection_get_live(business=self.business, connection_id=connection_id)
        provider = registry.get(connection.provider)
        if provider.auth is AuthKind.CREDENTIALS:
            url = reverse("connect_credentials", kwargs={"business_id": self.business.id, "provider": provider.key})
            return redirect(f"{url}?reconnect={connection.id}")
        try:
            started = services.connection_reconnect_start(
                business=self.business, connection_id=connection_id, credentials=None, actor=request.user
            )
        except ApplicationError as exc:
            messages.error(request, exc.detail)
            return redirect(_connections_url(self.business))
        return redirect(started.authorize_url)


class DisconnectView(BusinessViewMixin, TemplateView):
    """GET: what a disconnect would change (or why it is refused); POST: disconnect."""

    template_name = "integrations/disconnect.html"
    required_action = Action.MANAGE_CONNECTIONS

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        connection = services.connection_get_live(business=self.business, connection_id=self.kwargs["connection_id"])
        context.update(
            connection=connection,
            preview=services.connection_disconnect_preview(business=self.business, connection_id=connection.id),
        )
        return context

    def post(self, request, business_id, connection_id):
        connection = services.connection_get_live(business=self.business, connection_id=connection_id)
        try:
            effects = services.connection_disconnect(
                business=self.business, connection_id=connection_id, actor=request.user
            )
        except ApplicationError as exc:
            messages.error(request, exc.detail)
            return redirect(_connections_url(self.business))
        detail = []
        if effects.items_reassigned:
            detail.append(f"{effects.items_reassigned} item(s) re-assigned")
        if effects.supplier_rules_cleared:
            detail.append(f"{effects.supplier_rules_cleared} supplier rule(s) cleared")
        if effects.jobs_cancelled:
            detail.append(f"{effects.jobs_cancelled} publish job(s) stopped")
        messages.success(request, f"{connection.name} is disconnected." + (f" {', '.join(detail)}." if detail else ""))
        return redirect(_connections_url(self.business))


class DefaultsView(BusinessViewMixin, View):
    required_action = Action.MANAGE_CONNECTIONS

    def post(self, request, business_id):
        try:
            services.publishing_defaults_set(
                business=self.business,
                actor=request.user,
                default_publishing_connection=request.POST.get("default_publishing_connection") or None,
                default_expense_claims_connection=request.POST.get("default_expense_claims_connection") or None,
            )
        except ApplicationError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, "Default integrations saved.")
        return redirect(_connections_url(self.business))


class ChooseOrganisationView(BusinessViewMixin, TemplateView):
    """The grant reaches several organisations (Xero): the user picks the one for this business."""

    template_name = "integrations/choose_organisation.html"
    required_action = Action.MANAGE_CONNECTIONS

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        row = services.oauth_pending_for(
            user=self.request.user, business=self.business, state_id=self.kwargs["state_id"]
        )
        context.update(pending=row, organisations=row.secrets["organisations"], provider=registry.get(row.provider))
        return context

    def post(self, request, business_id, state_id):
        try:
            connection = services.oauth_choose_organisation(
                user=request.user,
                business=self.business,
                state_id=state_id,
                organisation_id=request.POST.get("organisation", ""),
            )
        except ApplicationError as exc:
            messages.error(request, exc.detail)
            return redirect(_connections_url(self.business))
        messages.success(request, f"{connection.name} is connected to {connection.organisation_name}.")
        return redirect(_connections_url(self.business))


@login_required
def oauth_callback(request):
    """Where every OAuth provider redirects back to (the ``redirect_uri``)."""
    state = OAuthState.objects.unscoped().filter(state=request.GET.get("state", ""), user=request.user).first()
    try:
        outcome = services.oauth_callback(user=request.user, params=request.GET.dict())
    except ApplicationError as exc:
        back = _connections_url(state.business) if state is not None else reverse("home")
        return render(request, "integrations/oauth_failed.html", {"error": exc, "back": back}, status=exc.status_code)
    business = outcome.pending.business if outcome.pending else outcome.connection.business
    if outcome.pending:
        return redirect("choose_organisation", business_id=business.id, state_id=outcome.pending.id)
    verb = "reconnected" if outcome.reconnected else "connected"
    messages.success(request, f"{outcome.connection.name} is {verb} ({outcome.connection.organisation_name}).")
    return redirect(_connections_url(business))


class QwcDownloadView(BusinessViewMixin, View):
    required_action = Action.MANAGE_CONNECTIONS

    def get(self, request, business_id, connection_id):
        from integrations.qbwc.qwc import qwc_download_response

        connection = services.connection_get_live(business=self.business, connection_id=connection_id)
        if registry.get(connection.provider).auth is not AuthKind.WEB_CONNECTOR:
            raise ApplicationError("not_found", "No Web Connector file for this connection.", status_code=404)
        return qwc_download_response(connection=connection)


class AuditLogView(BusinessViewMixin, TemplateView):
    template_name = "integrations/audit_log.html"
    required_action = Action.VIEW_AUDIT_LOG

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows, cursor = keyset_page(
            audit_entries_for(business=self.business),
            fields=("at", "id"),
            cursor=self.request.GET.get("cursor"),
            size=50,
        )
        context.update(entries=rows, next_cursor=cursor)
        return context
