"""QuickBooks Online: OAuth 2.0 (the company is the callback's ``realmId``); bills, purchases and invoices through
the Accounting API, in batch requests, coded with the ids of the company's own lists; attachments uploaded once the
document exists; the lists read by query pages and change data capture.

``provider`` (identity, capabilities, connecting and revoking), ``client`` (HTTP, faults, publishing, attaching),
``coding`` (a document's accounts, tax, product and currency), ``contacts`` (vendors and customers), ``lists`` (the
list sync's passes), ``faults`` (Intuit's error shapes), ``endpoints`` (base URLs, the OAuth app registration's
environment names, constants). The sandbox's imitation mirrors it in ``integrations/sandbox/quickbooks_online/``.
"""

from integrations.providers.quickbooks_online.provider import QuickBooksOnline

__all__ = ["QuickBooksOnline"]
