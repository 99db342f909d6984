"""QuickBooks Online: OAuth 2.0 (the company is the callback's ``realmId``); bills, purchases and invoices through
the Accounting API, in batch requests.

``provider`` (identity, capabilities, connecting and revoking), ``client`` (publishing), ``endpoints`` (base
URLs, the OAuth app registration's environment names, constants). The sandbox's imitation mirrors it in
``integrations/sandbox/quickbooks_online/``.
"""

from integrations.providers.quickbooks_online.provider import QuickBooksOnline

__all__ = ["QuickBooksOnline"]
