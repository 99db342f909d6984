from django.urls import path

from integrations import views

page_urls = [
    path("settings/connections/", views.ConnectionsView.as_view(), name="connections"),
]
