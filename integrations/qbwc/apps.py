from django.apps import AppConfig


class QbwcConfig(AppConfig):
    name = "integrations.qbwc"
    label = "qbwc"
    verbose_name = "QuickBooks Web Connector"
    default_auto_field = "django.db.models.BigAutoField"
