"""The Celery application. Tasks carry ids only, serialised as JSON."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dext_connections.settings")

app = Celery("dext_connections")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
