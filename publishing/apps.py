from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "publishing"
    verbose_name = "Publishing"

    def ready(self):
        from integrations import events
        from integrations.qbwc.queue import PUBLISHING, register_work_source
        from publishing.services.connection_effects import PublishingConnectionListener
        from publishing.web_connector import PublishingWebConnectorWork

        register_work_source(PUBLISHING, PublishingWebConnectorWork())
        # Connection events (connected, reconnected, disconnected, defaults changed, needs reconnect) reach
        # publishing's items, supplier rules and jobs through this listener: integrations never imports publishing.
        events.register(PublishingConnectionListener())
