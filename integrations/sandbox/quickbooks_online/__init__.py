"""QuickBooks Online: the Accounting API calls the product makes, with Intuit's checks and envelopes.

- Companies (``companies``): Sandbox Trading Co and Sandbox Holdings Inc (US, USD, sales tax) and Sandbox Trading
  Ltd (UK, GBP, VAT), each with its chart of accounts, tax codes and rates, products and services, classes,
  departments, and the vendors, customers and employees it starts with (fixed ids, the same after a reset).
- Every call needs ``Authorization: Bearer <access token>`` (else 401 with Intuit's lowercase
  ``{"fault": {"error": [...]}}``) for a realm the token was granted (else 403, code 3100, lowercase too).
- ``POST /v3/company/{realmId}/bill|purchase|invoice|vendor|customer|employee`` creates (or, with ``Id`` and
  the current ``SyncToken``, updates); ``?minorversion=`` is accepted and ignored; ``?requestid=``
  (≤ 50 characters) makes it idempotent: the same requestid gets the first answer again, whatever the body.
- ``GET …/{entity}/{id}``, ``GET …/companyinfo/{realmId}``, ``GET …/preferences``, ``GET …/exchangerate``,
  ``GET …/query?query=select * from Vendor where DisplayName = '…'`` (also ``POST …/query``; ``=``, ``like``
  and ``in`` joined by ``and``, ``STARTPOSITION``, ``MAXRESULTS`` ≤ 1000, ``count(*)``; name lists answer their
  active entries unless the condition names ``Active``), ``GET …/cdc?entities=…&changedSince=…`` (30 days back,
  1,000 objects, not tax codes or rates), ``POST …/batch`` (≤ 10 creates or queries, 40 a minute),
  ``POST …/upload`` (multipart ``file_metadata_01`` + ``file_content_01``, …; a file of a type QuickBooks does
  not take, or too big, is a ``Fault`` inside the 200 answer; ``?requestid=`` makes it idempotent too).
- Transactions are checked like QuickBooks does (``lines``): unknown references answer 2500, inactive ones 610; a
  UK line without ``TaxCodeRef`` answers 6000; a document in another currency than its vendor's answers 6000.
- Names are unique across vendors, customers and employees, inactive ones included: a clash answers 6240.
- Limits per realm: 500 calls a minute, 10 at once → 429 (code 3001), without ``Retry-After``.
- Reference rule: a document's ``reference`` is its ``PrivateNote``.
- Answers are JSON whatever the ``Accept`` header (the real service may answer XML without
  ``Accept: application/json``: send it).
"""
