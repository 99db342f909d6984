from django.conf import settings
from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from django.views.defaults import page_not_found
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from accounts import apis as account_apis
from accounts import views as account_views
from dext_connections.health import healthz
from integrations import apis as integration_apis
from integrations import urls as integration_urls
from publishing import urls as publishing_urls

api_v1 = [
    path("auth/token/", account_apis.AuthTokenApi.as_view(), name="api_auth_token"),
    path("auth/tokens/", account_apis.ApiTokensApi.as_view(), name="api_auth_tokens"),
    path("auth/tokens/<uuid:token_id>/", account_apis.ApiTokenDetailApi.as_view(), name="api_auth_token_detail"),
    path("me/", account_apis.MeApi.as_view(), name="api_me"),
    path("businesses/<uuid:business_id>/", account_apis.BusinessDetailApi.as_view(), name="api_business_detail"),
    path("businesses/<uuid:business_id>/", include(integration_urls.api_urls)),
    path("businesses/<uuid:business_id>/", include(publishing_urls.api_urls)),
    path("providers/", integration_apis.ProvidersApi.as_view(), name="api_providers"),
]

business_pages = publishing_urls.page_urls

urlpatterns = [
    path("", account_views.home, name="home"),
    path("switch/", account_views.switch, name="switch"),
    path("b/<uuid:business_id>/", include(business_pages + integration_urls.page_urls)),
    path("accounts/", include("allauth.urls")),
    path("", include(integration_urls.global_urls)),
    path("admin/", admin.site.urls),
    path("qbwc/", include("integrations.qbwc.urls")),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # The split view serves Swagger UI's start-up script as a file of its own (no inline script for the CSP).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api_schema"), name="api_docs"),
]

if settings.SANDBOX_ENABLED:
    urlpatterns.append(path("sandbox/", include("integrations.sandbox.urls")))


def handler404(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "detail": "Not found."}, status=404)
    return page_not_found(request, exception)


def handler500(request):
    from django.views.defaults import server_error

    if request.path.startswith("/api/"):
        return JsonResponse({"code": "server_error", "detail": "Something went wrong on our side."}, status=500)
    return server_error(request)
