"""The sandbox's Python API for the rest of the product and its tests.

- :func:`record_document` — what a fake provider received, for providers whose sandbox lives
  elsewhere (QuickBooks Desktop's Web Connector service records its ``BillAddRq`` here).
- :func:`set_fault` — switch a provider's fault (see :mod:`integrations.sandbox.faults`).
- :func:`sandbox_reset` — forget everything.
"""

from decimal import Decimal

from django.db import transaction

from integrations.sandbox import clock, faults
from integrations.sandbox.models import (
    AuthorizationCode,
    BillComSession,
    Contact,
    Document,
    Fault,
    Grant,
    IdempotentAnswer,
    InFlightCall,
    Organisation,
    Provider,
    RateCounter,
    Token,
)


def record_document(
    provider: str,
    *,
    external_id: str,
    reference: str,
    type: str,
    total: Decimal | str | float | None,
    body: dict | None = None,
) -> Document:
    """Record (or update, by ``external_id``) a document ``provider`` received; it then shows in
    ``GET /sandbox/{provider}/documents/``. ``reference`` carries the product's item id."""
    if provider not in Provider.values:
        raise ValueError(f"Unknown provider {provider!r}.")
    now = clock.now()
    with transaction.atomic():
        document = (
            Document.objects.select_for_update()
            .filter(provider=provider, organisation=None, external_id=external_id)
            .first()
        )
        if document is None:
            document = Document(provider=provider, external_id=external_id, created_at=now)
        document.reference = reference or ""
        document.type = type
        document.total = None if total is None else Decimal(str(total))
        document.body = body or document.body or {}
        document.updated_at = now
        document.save()
    return document


def set_fault(
    provider: str,
    mode: str,
    rate: float = 1.0,
    retry_after: int = 1,
    count: int | None = None,
    *,
    seed: int | None = None,
    delay: float | None = None,
) -> dict:
    """Switch ``provider``'s fault: ``none``, ``rate_limit``, ``server_error``, ``timeout`` (per call),
    ``slow_work``, ``lost_answer``, ``slow_answer`` (per write), each drawn with probability ``rate`` from
    ``seed`` (random when None; the state reports it), at most ``count`` times, waiting ``delay`` seconds where
    the mode waits; or ``expire_tokens`` / ``revoke_refresh`` (once, at once). Raises ValueError on a bad
    argument; answers the new state."""
    return faults.fault_set(provider, mode, rate=rate, retry_after=retry_after, count=count, seed=seed, delay=delay)


def sandbox_reset() -> None:
    """Forget every grant, token, session, document, fault and counter (organisations come back with
    the same ids on first use)."""
    with transaction.atomic():
        for model in (
            IdempotentAnswer,
            Document,
            Contact,
            AuthorizationCode,
            Token,
            Grant,
            BillComSession,
            Organisation,
            Fault,
            RateCounter,
            InFlightCall,
        ):
            model.objects.all().delete()
