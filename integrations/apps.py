from django.apps import AppConfig


def _authorize_origins() -> list[str]:
    from integrations.providers import registry
    from integrations.providers.oauth import authorize_origins

    return authorize_origins(registry.all_providers())


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self):
        from dext_connections.middleware import form_action_origins_register
        from integrations.providers import registry
        from integrations.providers.oauth import registrations_check

        # Production refuses to start without the OAuth app registered with each provider (ImproperlyConfigured).
        registrations_check(registry.all_providers())
        # A Connect form is redirected to the provider's authorize page: the Content-Security-Policy lets it go there.
        form_action_origins_register(_authorize_origins)

        from accounts import page_context
        from integrations.page_context import client_connection_status, reconnect_banner

        # Accounts draws the page frame but must not import integrations: the banner and the client switcher's
        # connection status are contributed from here.
        page_context.add_business_page(reconnect_banner)
        page_context.add_switcher(client_connection_status)
