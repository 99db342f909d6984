"""Xero: the identity calls' companions (``/connections``) and the Accounting API calls the product
makes, with Xero's checks, envelopes and limits.

- Every API call needs ``Authorization: Bearer <access token>`` (else 401 ``AuthenticationUnsuccessful``)
  and a ``xero-tenant-id`` the token was granted (else 403 ``AuthorizationUnsuccessful``).
- Limits per tenant: 60 calls a minute, 5,000 a day, 5 at once; 10,000 a minute per app. Over a
  limit: 429 with ``Retry-After`` and ``X-Rate-Limit-Problem`` (``minute``, ``day``, ``appminute``,
  ``concurrent``). Every answer carries ``X-MinLimit-Remaining``, ``X-DayLimit-Remaining`` and
  ``X-AppMinLimit-Remaining``.
- ``Idempotency-Key`` (≤ 128 characters) on creates: a replay gets the first answer, nothing new.
- ``summarizeErrors`` (default true): one bad element refuses the whole call with a 400
  ``ValidationException`` and nothing is saved; ``false`` saves the good ones and answers 200 with
  ``StatusAttributeString`` and ``ValidationErrors`` per element.
- Reference rule: a document's ``reference`` is its ``Reference`` if present, else its ``InvoiceNumber``.
- A ``Contact`` given by ``Name`` only is matched to an existing contact (case-insensitively) or
  created, as Xero does.
"""
