"""Accounts' part of API v1 (mounted at /api/v1/): tokens, the signed-in user, one business."""

from django.urls import path

from accounts import apis

urlpatterns = [
    path("auth/token/", apis.AuthTokenApi.as_view(), name="api_auth_token"),
    path("auth/tokens/", apis.ApiTokensApi.as_view(), name="api_auth_tokens"),
    path("auth/tokens/<uuid:token_id>/", apis.ApiTokenDetailApi.as_view(), name="api_auth_token_detail"),
    path("me/", apis.MeApi.as_view(), name="api_me"),
    path("businesses/<uuid:business_id>/", apis.BusinessDetailApi.as_view(), name="api_business_detail"),
]
