"""QuickBooks Online: the Accounting API calls the product makes, with Intuit's checks and envelopes.

- Every call needs ``Authorization: Bearer <access token>`` (else 401 with Intuit's lowercase
  ``{"fault": {"error": [...]}}``) for a realm the token was granted (else 403, code 3100).
- ``POST /v3/company/{realmId}/bill|purchase|invoice|vendor|customer`` creates (or, with ``Id`` and
  the current ``SyncToken``, updates); ``?minorversion=`` is accepted and ignored; ``?requestid=``
  (≤ 50 characters) makes it idempotent: the same requestid gets the first answer again.
- ``GET …/{entity}/{id}``, ``GET …/query?query=select * from Vendor where DisplayName = '…'``
  (also ``POST …/query`` with the statement as the body; ``=``, ``like`` and ``in`` joined by ``and``,
  ``STARTPOSITION``, ``MAXRESULTS``, ``count(*)``), ``POST …/upload`` (multipart ``file_metadata_01``
  + ``file_content_01``, …; ``?requestid=`` makes it idempotent too).
- Names are unique across vendors and customers: a clash answers 6240 (Duplicate Name Exists).
- Limits per realm: 500 calls a minute, 10 at once → 429 (code 3001) with ``Retry-After``.
- Reference rule: a document's ``reference`` is its ``PrivateNote``.
- Answers are JSON whatever the ``Accept`` header (the real service may answer XML without
  ``Accept: application/json``: send it).
"""
