"""Switchable faults, one switch per provider.

- ``rate_limit``, ``server_error``, ``timeout`` act on API calls (everything that needs a token or a
  Bill.com session; not the authorize page, the token endpoint or the Bill.com login). Each call
  draws a random number; below ``rate`` the fault fires. With ``count`` the switch turns itself off
  after firing that many times. ``timeout`` sleeps ``settings.SANDBOX_TIMEOUT_SECONDS`` (default 3;
  set it above the client's read timeout) and then answers 504. The draw happens inside the call's
  concurrency slot, so slow answers use up the provider's concurrency limit as a slow service would.
- ``expire_tokens`` and ``revoke_refresh`` act once, when set: every current access token expires /
  every current refresh token answers ``invalid_grant`` (for Bill.com: every session lapses). Tokens
  issued afterwards work, and the switch reads ``none`` again. To imitate a connection that has
  expired for good, set ``revoke_refresh`` and then ``expire_tokens``.
"""

import random
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F

from integrations.sandbox import clock, oauth
from integrations.sandbox.models import BillComSession, Fault, FaultMode, Provider

PER_CALL = {FaultMode.RATE_LIMIT, FaultMode.SERVER_ERROR, FaultMode.TIMEOUT}


@dataclass(frozen=True)
class FaultHit:
    mode: str
    retry_after: int


def draw() -> float:
    """The per-call random draw (tests monkeypatch it)."""
    return random.random()


def fault_state(provider: str) -> dict:
    fault = Fault.objects.filter(provider=provider).first()
    if fault is None:
        return {"provider": provider, "mode": FaultMode.NONE.value, "rate": 1.0, "retry_after": 1, "count": None}
    return {
        "provider": provider,
        "mode": fault.mode,
        "rate": fault.rate,
        "retry_after": fault.retry_after,
        "count": fault.remaining,
    }


def fault_set(provider: str, mode: str, *, rate: float = 1.0, retry_after: int = 1, count: int | None = None) -> dict:
    """Switch ``provider``'s fault; raises ValueError on a bad argument. Answers the new state."""
    if provider not in Provider.values:
        raise ValueError(f"Unknown provider {provider!r}.")
    if mode not in FaultMode.values:
        raise ValueError(f"mode must be one of {', '.join(FaultMode.values)}.")
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.0 <= rate <= 1.0:
        raise ValueError("rate must be a number from 0.0 to 1.0.")
    if isinstance(retry_after, bool) or not isinstance(retry_after, int) or retry_after < 0:
        raise ValueError("retry_after must be a whole number of seconds.")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise ValueError("count must be a positive whole number or null.")
    affected = None
    if mode == FaultMode.EXPIRE_TOKENS:
        affected = _sessions_lapse() if provider == Provider.BILL_COM else oauth.access_tokens_expire(provider)
    elif mode == FaultMode.REVOKE_REFRESH:
        affected = _sessions_lapse() if provider == Provider.BILL_COM else oauth.refresh_tokens_revoke(provider)
    stored = mode if mode in PER_CALL else FaultMode.NONE
    Fault.objects.update_or_create(
        provider=provider,
        defaults={
            "mode": stored,
            "rate": float(rate),
            "retry_after": retry_after,
            "remaining": count if stored != FaultMode.NONE else None,
            "updated_at": clock.now(),
        },
    )
    state = fault_state(provider)
    if affected is not None:
        state["applied"] = {"mode": mode, "affected": affected}
    return state


def _sessions_lapse() -> int:
    return BillComSession.objects.filter(ended_at__isnull=True).update(ended_at=clock.now())


def fault_draw(provider: str) -> FaultHit | None:
    """Decide whether this API call fails; sleeps first when the fault is a timeout."""
    fault = Fault.objects.filter(provider=provider).exclude(mode=FaultMode.NONE).first()
    if fault is None or draw() >= fault.rate:
        return None
    if fault.remaining is not None:
        with transaction.atomic():
            fault = Fault.objects.select_for_update().get(pk=fault.pk)
            if fault.mode == FaultMode.NONE or not fault.remaining:
                return None
            Fault.objects.filter(pk=fault.pk).update(remaining=F("remaining") - 1)
            if fault.remaining == 1:
                Fault.objects.filter(pk=fault.pk).update(mode=FaultMode.NONE, remaining=None)
    if fault.mode == FaultMode.TIMEOUT:
        time.sleep(float(getattr(settings, "SANDBOX_TIMEOUT_SECONDS", 3)))
    return FaultHit(mode=fault.mode, retry_after=fault.retry_after)
