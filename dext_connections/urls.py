from django.conf import settings
from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from django.views.defaults import page_not_found
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from dext_connections.health import healthz

# Each app owns its URL modules (pages in <app>/urls.py, API v1 in <app>/api_urls.py); they are named here as
# strings, so the core imports no app (dext_connections <- accounts <- integrations <- publishing).
api_v1 = [
    path("", include("accounts.api_urls")),
    path("", include("integrations.api_urls")),
    path("", include("publishing.api_urls")),
]

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("publishing.urls")),
    path("", include("integrations.urls")),
    path("accounts/", include("allauth.urls")),
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
