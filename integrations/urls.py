"""Integrations' pages: Business settings > Connections and Audit log, and the OAuth callback."""

from django.urls import include, path

from integrations import views
from integrations.lists import views as list_views

page_urls = [
    path("settings/connections/", views.ConnectionsView.as_view(), name="connections"),
    path("settings/connections/connect/", views.ConnectView.as_view(), name="connect"),
    path(
        "settings/connections/connect/<str:provider>/",
        views.ConnectCredentialsView.as_view(),
        name="connect_credentials",
    ),
    path("settings/connections/defaults/", views.DefaultsView.as_view(), name="connection_defaults"),
    path(
        "settings/connections/choose/<uuid:state_id>/",
        views.ChooseOrganisationView.as_view(),
        name="choose_organisation",
    ),
    path("settings/connections/<uuid:connection_id>/disconnect/", views.DisconnectView.as_view(), name="disconnect"),
    path("settings/connections/<uuid:connection_id>/reconnect/", views.ReconnectView.as_view(), name="reconnect"),
    path("settings/connections/<uuid:connection_id>/qwc/", views.QwcDownloadView.as_view(), name="qwc_download"),
    path(
        "settings/connections/<uuid:connection_id>/lists/",
        list_views.ListsBlockView.as_view(),
        name="connection_lists",
    ),
    path(
        "settings/connections/<uuid:connection_id>/lists/refresh/",
        list_views.ListsRefreshView.as_view(),
        name="connection_lists_refresh",
    ),
    path("settings/audit-log/", views.AuditLogView.as_view(), name="audit_log"),
]

urlpatterns = [
    path("b/<uuid:business_id>/", include(page_urls)),
    path("integrations/oauth/callback/", views.oauth_callback, name="oauth_callback"),
]
