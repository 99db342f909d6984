from django.urls import path

from integrations import apis, views

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
    path("settings/audit-log/", views.AuditLogView.as_view(), name="audit_log"),
]

api_urls = [
    path("connections/", apis.ConnectionsApi.as_view(), name="api_connections"),
    path("connections/<str:connection_id>/", apis.ConnectionDetailApi.as_view(), name="api_connection_detail"),
    path(
        "connections/<str:connection_id>/disconnect-preview/",
        apis.DisconnectPreviewApi.as_view(),
        name="api_connection_disconnect_preview",
    ),
    path("connections/<str:connection_id>/reconnect/", apis.ReconnectApi.as_view(), name="api_connection_reconnect"),
    path("publishing-defaults/", apis.PublishingDefaultsApi.as_view(), name="api_publishing_defaults"),
    path("audit-log/", apis.AuditLogApi.as_view(), name="api_audit_log"),
]

global_urls = [
    path("integrations/oauth/callback/", views.oauth_callback, name="oauth_callback"),
]
