"""The sandbox's routes, mounted at ``/sandbox/`` when ``settings.SANDBOX_ENABLED``.

Each provider's paths mirror the real service's under ``/sandbox/<provider>/`` (its folder's ``urls``), so a
client only swaps its base URL. Paths use each API's documented casing (Xero's ``Invoices``, QuickBooks'
``bill``). Then the sandbox's own endpoints, per provider.
"""

from django.urls import include, path

from integrations.sandbox.models import Provider
from integrations.sandbox.views import common

app_name = "sandbox"

urlpatterns = [
    path("reset/", common.reset, name="reset"),
    path(f"{Provider.XERO}/", include("integrations.sandbox.xero.urls")),
    path(f"{Provider.QUICKBOOKS_ONLINE}/", include("integrations.sandbox.quickbooks_online.urls")),
    path(f"{Provider.APPROVALMAX}/", include("integrations.sandbox.approvalmax.urls")),
    path(f"{Provider.BILL_COM}/", include("integrations.sandbox.bill_com.urls")),
    # the sandbox's own, per provider
    path("<str:provider>/documents/", common.documents, name="documents"),
    path("<str:provider>/documents/<str:external_id>/", common.document_detail, name="document"),
    path("<str:provider>/faults/", common.faults, name="faults"),
]
