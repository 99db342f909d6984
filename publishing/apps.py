from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "publishing"
    verbose_name = "Publishing"

    def ready(self):
        from integrations.qbwc.queue import set_work_source
        from publishing.web_connector import PublishingWebConnectorWork

        set_work_source(PublishingWebConnectorWork())
