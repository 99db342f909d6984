"""The sandbox's ApprovalMax, under ``/sandbox/approvalmax/``: its identity server's OAuth endpoints and the Public
API stand-in (``/api/v1/…``)."""

from django.urls import path

from integrations.sandbox.approvalmax import views
from integrations.sandbox.approvalmax.api import APPROVALMAX
from integrations.sandbox.views import oauth

urlpatterns = [
    path("connect/authorize", oauth.authorize, {"provider": APPROVALMAX}, name="approvalmax_authorize"),
    path("connect/token", oauth.token, {"provider": APPROVALMAX}, name="approvalmax_token"),
    path("connect/revocation", oauth.revoke, {"provider": APPROVALMAX}, name="approvalmax_revoke"),
    path("api/v1/companies", views.companies, name="approvalmax_companies"),
    path("api/v1/companies/<str:company_id>/bills", views.bills, name="approvalmax_bills"),
    path("api/v1/companies/<str:company_id>/bills/<str:request_id>", views.bill, name="approvalmax_bill"),
]
