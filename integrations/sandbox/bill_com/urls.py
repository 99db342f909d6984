"""The sandbox's Bill.com, under ``/sandbox/bill_com/``: the v3 API (``/connect/v3/…``)."""

from django.urls import path

from integrations.sandbox.bill_com import views

V3 = "connect/v3/"

urlpatterns = [
    path(f"{V3}login", views.login, name="bill_com_login"),
    path(f"{V3}logout", views.logout, name="bill_com_logout"),
    path(f"{V3}vendors", views.vendors, name="bill_com_vendors"),
    path(f"{V3}vendors/<str:vendor_id>", views.vendor, name="bill_com_vendor"),
    path(f"{V3}bills", views.bills, name="bill_com_bills"),
    path(f"{V3}bills/bulk", views.bills_bulk, name="bill_com_bills_bulk"),
    path(f"{V3}bills/<str:bill_id>", views.bill, name="bill_com_bill"),
    path(f"{V3}documents/bills/<str:bill_id>", views.bill_document, name="bill_com_bill_document"),
    path(f"{V3}classifications/chart-of-accounts", views.chart_of_accounts, name="bill_com_chart_of_accounts"),
    path(
        f"{V3}classifications/chart-of-accounts/<str:account_id>/archive",
        views.chart_account_archive,
        name="bill_com_chart_account_archive",
    ),
    path(f"{V3}classifications/<str:listed>", views.classifications, name="bill_com_classifications"),
]
