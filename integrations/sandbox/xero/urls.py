"""The sandbox's Xero, under ``/sandbox/xero/``: identity, ``/connections`` and the Accounting API (the paths'
documented casing)."""

from django.urls import path

from integrations.sandbox.views import oauth
from integrations.sandbox.xero import views
from integrations.sandbox.xero.constants import XERO

API = "api.xro/2.0/"

urlpatterns = [
    path("identity/connect/authorize", oauth.authorize, {"provider": XERO}, name="xero_authorize"),
    path("identity/connect/token", oauth.token, {"provider": XERO}, name="xero_token"),
    path("identity/connect/revocation", oauth.revoke, {"provider": XERO}, name="xero_revoke"),
    path("connections", views.connections, name="xero_connections"),
    path("connections/<str:connection_id>", views.connection, name="xero_connection"),
    path(f"{API}Contacts", views.contacts, name="xero_contacts"),
    path(f"{API}Contacts/<str:contact_id>", views.contact, name="xero_contact"),
    path(f"{API}Invoices", views.invoices, name="xero_invoices"),
    path(f"{API}Invoices/<str:invoice_id>", views.invoice, name="xero_invoice"),
    path(
        f"{API}Invoices/<str:document_id>/Attachments/<path:file_name>",
        views.attachment,
        {"endpoint": "Invoices"},
        name="xero_invoice_attachment",
    ),
    path(f"{API}BankTransactions", views.bank_transactions, name="xero_bank_transactions"),
    path(f"{API}BankTransactions/<str:transaction_id>", views.bank_transaction, name="xero_bank_transaction"),
    path(
        f"{API}BankTransactions/<str:document_id>/Attachments/<path:file_name>",
        views.attachment,
        {"endpoint": "BankTransactions"},
        name="xero_bank_transaction_attachment",
    ),
    path(f"{API}Accounts", views.accounts, name="xero_accounts"),
    path(f"{API}TaxRates", views.tax_rates, name="xero_tax_rates"),
    path(f"{API}TrackingCategories", views.tracking_categories, name="xero_tracking_categories"),
    path(f"{API}Organisation", views.organisation, name="xero_organisation"),
]
