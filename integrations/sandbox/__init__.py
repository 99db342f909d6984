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

Faults (``POST /sandbox/{provider}/faults/``, :mod:`integrations.sandbox.faults`): ``rate_limit``,
``server_error`` and ``timeout`` fail a call before any work; ``slow_work`` makes a write wait before it is
done; ``lost_answer`` does a write (committed) and then drops the connection; ``slow_answer`` does a write and
answers after the client's timeout; ``expire_tokens`` and ``revoke_refresh`` act once. Per-call draws come at
``rate`` from a ``seed`` (reported by the switch), so a run's faults can be replayed.

Layout: one folder per provider, mirroring ``integrations/providers/<provider>/`` (``xero/``,
``quickbooks_online/``, ``approvalmax/``, ``bill_com/``: each provider's calls, errors, limits and OAuth policy,
its ``views`` and ``urls``); shared: ``oauth`` (authorize, token, bearer checks for the OAuth providers) and
``policies`` (their policies by provider), ``faults`` (switchable faults), ``counters`` (rate limits and sequences
in PostgreSQL), ``idempotency``, ``services`` (the Python API for others), ``selectors``, ``views/`` (the shared
views: OAuth pages, the sandbox's own endpoints). QuickBooks Desktop has no folder: the Web Connector is not HTTP
we call; what it received is recorded through ``services.record_document``.
"""
