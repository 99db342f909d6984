from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self):
        from accounts import page_context
        from integrations.page_context import client_connection_status, reconnect_banner

        # Accounts draws the page frame but must not import integrations: the banner and the client switcher's
        # connection status are contributed from here.
        page_context.add_business_page(reconnect_banner)
        page_context.add_switcher(client_connection_status)
