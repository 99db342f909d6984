"""The Celery application. Tasks carry ids only, serialised as JSON."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dext_connections.settings")

app = Celery("dext_connections")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def use_django_logging(**kwargs) -> None:
    """Workers and beat log like the web: Django's LOGGING (JSON lines through the secret-redacting filter) instead
    of Celery's own handlers, which would print task arguments, errors and redirected output unredacted."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)  # its handlers keep the real stderr, before the redirection below
    if app.conf.worker_redirect_stdouts:  # Celery leaves this to whoever handles the signal
        app.log.redirect_stdouts(app.conf.worker_redirect_stdouts_level)
