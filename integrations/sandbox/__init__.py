"""The provider sandbox: local imitations of Xero, QuickBooks Online, ApprovalMax and Bill.com
(DESIGN.md §7), speaking their wire formats under ``/sandbox/<provider>/…`` so that the product runs
end to end offline and its tests hit real HTTP.

Where a document's ``reference`` (the product's item id, shown by ``GET /sandbox/{provider}/documents/``)
is read from:

- Xero: ``Reference`` if present, else ``InvoiceNumber`` (invoices, bills, bank transactions);
- QuickBooks Online: ``PrivateNote``;
- ApprovalMax: ``reference``;
- Bill.com: the bill's ``description`` if present, else the first ``billLineItems[].description``;
- QuickBooks Desktop: whatever its Web Connector service passes to ``services.record_document``.

Modules: ``oauth`` (authorize, token, bearer checks for the three OAuth providers), ``xero``,
``quickbooks_online``, ``approvalmax``, ``bill_com`` (each provider's calls, errors and limits),
``faults`` (switchable faults), ``counters`` (rate limits and sequences in PostgreSQL),
``idempotency``, ``services`` (the Python API for others), ``selectors``, ``views/`` (thin).
"""
