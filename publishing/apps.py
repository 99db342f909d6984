from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "publishing"
    verbose_name = "Publishing"

    def ready(self):
        from integrations.qbwc.queue import set_work_source
        from publishing.qbd import PublishingWebConnectorWork

        set_work_source(PublishingWebConnectorWork())
