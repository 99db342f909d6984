from django.apps import AppConfig


class QbwcConfig(AppConfig):
    name = "integrations.qbwc"
    label = "qbwc"
    verbose_name = "QuickBooks Web Connector"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from integrations.providers.quickbooks_desktop.list_work import QuickBooksDesktopListWork
        from integrations.qbwc.queue import LISTS, register_work_source

        # The lists before publishing: a document is coded against the lists its company file has now.
        register_work_source(LISTS, QuickBooksDesktopListWork())
