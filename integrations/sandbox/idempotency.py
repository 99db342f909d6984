"""Replays for Xero's ``Idempotency-Key`` and QuickBooks' ``requestid``.

The first *successful* answer is kept and given again to every replay with the same key (per
organisation), and nothing is created twice. A refused request (4xx) is not kept, so a client may
fix the payload and retry under the same key. Concurrent requests with the same key queue on an
advisory lock, so the second one sees the first one's answer.
"""

from collections.abc import Callable

from django.db import transaction

from integrations.sandbox import clock
from integrations.sandbox.counters import advisory_lock
from integrations.sandbox.models import IdempotentAnswer, Organisation


def replay_or_run(
    *, provider: str, organisation: Organisation, key: str, run: Callable[[], tuple[int, dict]]
) -> tuple[int, dict, bool]:
    """``(status, body, replayed)``. ``run`` runs in one transaction, with or without a key: what it made is
    kept whole or not at all."""
    with transaction.atomic():
        if not key:
            status, body = run()
            return status, body, False
        advisory_lock(f"idempotency:{provider}:{organisation.pk}:{key}")
        kept = IdempotentAnswer.objects.filter(provider=provider, organisation=organisation, key=key).first()
        if kept is not None:
            return kept.status, kept.body, True
        status, body = run()
        if 200 <= status < 300:
            IdempotentAnswer.objects.create(
                provider=provider, organisation=organisation, key=key, status=status, body=body, created_at=clock.now()
            )
        return status, body, False
