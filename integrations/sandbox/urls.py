"""The sandbox's routes, mounted at ``/sandbox/`` when ``settings.SANDBOX_ENABLED``.

Each provider's paths mirror the real service's under ``/sandbox/<provider>/``, so a client only
swaps its base URL. Paths use each API's documented casing
(Xero's ``Invoices``, QuickBooks' ``bill``).
"""

from django.urls import path

from integrations.sandbox.views import approvalmax, bill_com, common, oauth, quickbooks_online, xero

app_name = "sandbox"

_XERO_API = "xero/api.xro/2.0/"

urlpatterns = [
    path("reset/", common.reset, name="reset"),
    # Xero: identity
    path("xero/identity/connect/authorize", oauth.authorize, {"provider": "xero"}, name="xero_authorize"),
    path("xero/identity/connect/token", oauth.token, {"provider": "xero"}, name="xero_token"),
    path("xero/identity/connect/revocation", oauth.revoke, {"provider": "xero"}, name="xero_revoke"),
    path("xero/connections", xero.connections, name="xero_connections"),
    path("xero/connections/<str:connection_id>", xero.connection, name="xero_connection"),
    # Xero: Accounting API (the paths' documented casing)
    path(f"{_XERO_API}Contacts", xero.contacts, name="xero_contacts"),
    path(f"{_XERO_API}Contacts/<str:contact_id>", xero.contact, name="xero_contact"),
    path(f"{_XERO_API}Invoices", xero.invoices, name="xero_invoices"),
    path(f"{_XERO_API}Invoices/<str:invoice_id>", xero.invoice, name="xero_invoice"),
    path(
        f"{_XERO_API}Invoices/<str:document_id>/Attachments/<path:file_name>",
        xero.attachment,
        {"endpoint": "Invoices"},
        name="xero_invoice_attachment",
    ),
    path(f"{_XERO_API}BankTransactions", xero.bank_transactions, name="xero_bank_transactions"),
    path(f"{_XERO_API}BankTransactions/<str:transaction_id>", xero.bank_transaction, name="xero_bank_transaction"),
    path(
        f"{_XERO_API}BankTransactions/<str:document_id>/Attachments/<path:file_name>",
        xero.attachment,
        {"endpoint": "BankTransactions"},
        name="xero_bank_transaction_attachment",
    ),
    path(f"{_XERO_API}Accounts", xero.accounts, name="xero_accounts"),
    path(f"{_XERO_API}TaxRates", xero.tax_rates, name="xero_tax_rates"),
    path(f"{_XERO_API}Organisation", xero.organisation, name="xero_organisation"),
    # QuickBooks Online
    path("quickbooks_online/connect/oauth2", oauth.authorize, {"provider": "quickbooks_online"}, name="qbo_authorize"),
    path("quickbooks_online/oauth2/v1/tokens/bearer", oauth.token, {"provider": "quickbooks_online"}, name="qbo_token"),
    path(
        "quickbooks_online/v2/oauth2/tokens/revoke", oauth.revoke, {"provider": "quickbooks_online"}, name="qbo_revoke"
    ),
    path("quickbooks_online/v3/company/<str:realm_id>/query", quickbooks_online.query, name="qbo_query"),
    path("quickbooks_online/v3/company/<str:realm_id>/upload", quickbooks_online.upload, name="qbo_upload"),
    path("quickbooks_online/v3/company/<str:realm_id>/batch", quickbooks_online.batch, name="qbo_batch"),
    path("quickbooks_online/v3/company/<str:realm_id>/<str:entity>", quickbooks_online.create, name="qbo_create"),
    path(
        "quickbooks_online/v3/company/<str:realm_id>/<str:entity>/<str:entity_id>",
        quickbooks_online.detail,
        name="qbo_detail",
    ),
    # ApprovalMax
    path("approvalmax/connect/authorize", oauth.authorize, {"provider": "approvalmax"}, name="approvalmax_authorize"),
    path("approvalmax/connect/token", oauth.token, {"provider": "approvalmax"}, name="approvalmax_token"),
    path("approvalmax/connect/revocation", oauth.revoke, {"provider": "approvalmax"}, name="approvalmax_revoke"),
    path("approvalmax/api/v1/companies", approvalmax.companies, name="approvalmax_companies"),
    path("approvalmax/api/v1/companies/<str:company_id>/bills", approvalmax.bills, name="approvalmax_bills"),
    path(
        "approvalmax/api/v1/companies/<str:company_id>/bills/<str:request_id>",
        approvalmax.bill,
        name="approvalmax_bill",
    ),
    # Bill.com v3
    path("bill_com/connect/v3/login", bill_com.login, name="bill_com_login"),
    path("bill_com/connect/v3/logout", bill_com.logout, name="bill_com_logout"),
    path("bill_com/connect/v3/vendors", bill_com.vendors, name="bill_com_vendors"),
    path("bill_com/connect/v3/vendors/<str:vendor_id>", bill_com.vendor, name="bill_com_vendor"),
    path("bill_com/connect/v3/bills", bill_com.bills, name="bill_com_bills"),
    path("bill_com/connect/v3/bills/bulk", bill_com.bills_bulk, name="bill_com_bills_bulk"),
    path("bill_com/connect/v3/bills/<str:bill_id>", bill_com.bill, name="bill_com_bill"),
    path("bill_com/connect/v3/documents/bills/<str:bill_id>", bill_com.bill_document, name="bill_com_bill_document"),
    # the sandbox's own, per provider
    path("<str:provider>/documents/", common.documents, name="documents"),
    path("<str:provider>/documents/<str:external_id>/", common.document_detail, name="document"),
    path("<str:provider>/faults/", common.faults, name="faults"),
]
