"""The sandbox's QuickBooks Online, under ``/sandbox/quickbooks_online/``: Intuit's OAuth endpoints and the
Accounting API (``/v3/company/{realmId}/…``)."""

from django.urls import path

from integrations.sandbox.quickbooks_online import views
from integrations.sandbox.quickbooks_online.constants import QBO
from integrations.sandbox.views import oauth

COMPANY = "v3/company/<str:realm_id>/"

urlpatterns = [
    path("connect/oauth2", oauth.authorize, {"provider": QBO}, name="qbo_authorize"),
    path("oauth2/v1/tokens/bearer", oauth.token, {"provider": QBO}, name="qbo_token"),
    path("v2/oauth2/tokens/revoke", oauth.revoke, {"provider": QBO}, name="qbo_revoke"),
    path(f"{COMPANY}query", views.query, name="qbo_query"),
    path(f"{COMPANY}upload", views.upload, name="qbo_upload"),
    path(f"{COMPANY}batch", views.batch, name="qbo_batch"),
    path(f"{COMPANY}cdc", views.cdc, name="qbo_cdc"),
    path(f"{COMPANY}preferences", views.preferences, name="qbo_preferences"),
    path(f"{COMPANY}exchangerate", views.exchange_rate, name="qbo_exchange_rate"),
    path(f"{COMPANY}<str:entity>", views.create, name="qbo_create"),
    path(f"{COMPANY}<str:entity>/<str:entity_id>", views.detail, name="qbo_detail"),
]
