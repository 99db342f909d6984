"""Mounted by the project's URLconf: ``path("qbwc/", include("integrations.qbwc.urls"))``."""

from django.urls import path

from integrations.qbwc import views

app_name = "qbwc"

urlpatterns = [
    path("", views.web_connector_soap, name="soap"),
]
