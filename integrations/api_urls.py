"""Integrations' part of API v1 (mounted at /api/v1/): a business's connections, defaults and audit log; providers."""

from django.urls import include, path

from integrations import apis
from integrations.lists import apis as list_apis

business_urls = [
    path("connections/", apis.ConnectionsApi.as_view(), name="api_connections"),
    path("connections/<str:connection_id>/", apis.ConnectionDetailApi.as_view(), name="api_connection_detail"),
    path(
        "connections/<str:connection_id>/disconnect-preview/",
        apis.DisconnectPreviewApi.as_view(),
        name="api_connection_disconnect_preview",
    ),
    path("connections/<str:connection_id>/reconnect/", apis.ReconnectApi.as_view(), name="api_connection_reconnect"),
    path(
        "connections/<str:connection_id>/lists/refresh/",
        list_apis.ListsRefreshApi.as_view(),
        name="api_connection_lists_refresh",
    ),
    path(
        "connections/<str:connection_id>/lists/<str:list_name>/",
        list_apis.ListEntriesApi.as_view(),
        name="api_connection_list",
    ),
    path("publishing-defaults/", apis.PublishingDefaultsApi.as_view(), name="api_publishing_defaults"),
    path("audit-log/", apis.AuditLogApi.as_view(), name="api_audit_log"),
]

urlpatterns = [
    path("businesses/<uuid:business_id>/", include(business_urls)),
    path("providers/", apis.ProvidersApi.as_view(), name="api_providers"),
]
