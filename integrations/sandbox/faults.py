"""Switchable faults, one switch per provider.

Per call (API calls only: everything that needs a token or a Bill.com session; not the authorize page, the
token endpoint or the Bill.com login), each call draws a number; below ``rate`` the fault fires. With
``count`` the switch turns itself off after firing that many times.

- ``rate_limit``, ``server_error``, ``timeout`` act on every API call, before any work: 429 with
  ``Retry-After``, 500, or a wait of ``delay`` seconds (default ``settings.SANDBOX_TIMEOUT_SECONDS``, 3)
  and then 504. Nothing is made.
- ``slow_work``, ``lost_answer``, ``slow_answer`` act on writes only (POST, PUT, DELETE):
  ``slow_work`` waits ``delay`` seconds (default ``SANDBOX_TIMEOUT_SECONDS``) *before* doing the work, then
  does it and answers normally (a slow service within the client's timeout: a long bulk create);
  ``lost_answer`` does the work (it is committed) and then drops the connection without a word (where the
  server's socket cannot be reached, it answers 502 instead; in process, :mod:`integrations.inprocess`
  raises the transport error a dropped connection gives); ``slow_answer`` does the work and then waits
  ``delay`` seconds (default ``PROVIDER_HTTP_TIMEOUT_SECONDS`` + 1, beyond the client's timeout) before
  answering. A write the provider refuses (4xx) is answered at once: nothing was made.
- The waits happen inside the call's concurrency slot, so slow answers use up the provider's concurrency
  limit as a slow service would.
- ``expire_tokens`` and ``revoke_refresh`` act once, when set: every current access token expires /
  every current refresh token answers ``invalid_grant`` (for Bill.com: every session lapses). Tokens
  issued afterwards work, and the switch reads ``none`` again. To imitate a connection that has
  expired for good, set ``revoke_refresh`` and then ``expire_tokens``.
- ``disconnect`` acts once, when set: every organisation takes the app's access away (as Xero's "Disconnect"
  under Connected apps does): tokens stay valid but reach no organisation, so API calls answer the provider's
  lost-access error (Xero: 403 ``AuthenticationUnsuccessful``). Then the switch reads ``none`` again.

Draws are reproducible: the ``n``-th call that draws after a switch is set gets :func:`draw` of
``(seed, provider, n)``. Setting a switch without a ``seed`` picks one at random; the switch's state reports
it (and how many calls have drawn), so a failed chaos run can be replayed with the same seed. Which request
gets the ``n``-th draw still depends on the order in which concurrent requests arrive.
"""

import hashlib
import logging
import secrets
import socket
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from integrations.sandbox import clock, oauth
from integrations.sandbox.models import BillComSession, Fault, FaultMode, Provider

log = logging.getLogger(__name__)

BEFORE_WORK = {FaultMode.RATE_LIMIT, FaultMode.SERVER_ERROR, FaultMode.TIMEOUT}
ON_WRITES = {FaultMode.SLOW_WORK, FaultMode.LOST_ANSWER, FaultMode.SLOW_ANSWER}
PER_CALL = BEFORE_WORK | ON_WRITES
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class FaultHit:
    mode: str
    retry_after: int
    delay: float | None = None


def draw(seed: int, provider: str, number: int) -> float:
    """The ``number``-th draw of ``provider``'s switch under ``seed``: a number in [0, 1), always the same
    (tests monkeypatch it)."""
    digest = hashlib.sha256(f"{seed}:{provider}:{number}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def fault_state(provider: str) -> dict:
    fault = Fault.objects.filter(provider=provider).first()
    if fault is None:
        return {
            "provider": provider,
            "mode": FaultMode.NONE.value,
            "rate": 1.0,
            "retry_after": 1,
            "count": None,
            "seed": None,
            "draws": 0,
            "delay": None,
        }
    return {
        "provider": provider,
        "mode": fault.mode,
        "rate": fault.rate,
        "retry_after": fault.retry_after,
        "count": fault.remaining,
        "seed": fault.seed,
        "draws": fault.draws,
        "delay": fault.delay,
    }


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def fault_set(
    provider: str,
    mode: str,
    *,
    rate: float = 1.0,
    retry_after: int = 1,
    count: int | None = None,
    seed: int | None = None,
    delay: float | None = None,
) -> dict:
    """Switch ``provider``'s fault; raises ValueError on a bad argument. Answers the new state."""
    if provider not in Provider.values:
        raise ValueError(f"Unknown provider {provider!r}.")
    if mode not in FaultMode.values:
        raise ValueError(f"mode must be one of {', '.join(FaultMode.values)}.")
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0.0 <= rate <= 1.0:
        raise ValueError("rate must be a number from 0.0 to 1.0.")
    if not _whole(retry_after) or retry_after < 0:
        raise ValueError("retry_after must be a whole number of seconds.")
    if count is not None and (not _whole(count) or count < 1):
        raise ValueError("count must be a positive whole number or null.")
    if seed is not None and (not _whole(seed) or not 0 <= seed < 2**63):
        raise ValueError("seed must be a whole number from 0 to 2**63 - 1, or null for a random one.")
    if delay is not None and (isinstance(delay, bool) or not isinstance(delay, int | float) or delay < 0):
        raise ValueError("delay must be a number of seconds, or null for the mode's default.")
    affected = None
    if mode == FaultMode.EXPIRE_TOKENS:
        affected = _sessions_lapse() if provider == Provider.BILL_COM else oauth.access_tokens_expire(provider)
    elif mode == FaultMode.REVOKE_REFRESH:
        affected = _sessions_lapse() if provider == Provider.BILL_COM else oauth.refresh_tokens_revoke(provider)
    elif mode == FaultMode.DISCONNECT:
        affected = _sessions_lapse() if provider == Provider.BILL_COM else oauth.organisations_disconnect(provider)
    stored = mode if mode in PER_CALL else FaultMode.NONE
    Fault.objects.update_or_create(
        provider=provider,
        defaults={
            "mode": stored,
            "rate": float(rate),
            "retry_after": retry_after,
            "remaining": count if stored != FaultMode.NONE else None,
            "seed": secrets.randbelow(2**31) if seed is None else seed,
            "draws": 0,
            "delay": None if delay is None else float(delay),
            "updated_at": clock.now(),
        },
    )
    state = fault_state(provider)
    if affected is not None:
        state["applied"] = {"mode": mode, "affected": affected}
    return state


def _sessions_lapse() -> int:
    return BillComSession.objects.filter(ended_at__isnull=True).update(ended_at=clock.now())


def _drawn(provider: str, modes: set) -> FaultHit | None:
    """The next numbered draw of ``provider``'s switch if its mode is one of ``modes``: the hit when it fires."""
    if not Fault.objects.filter(provider=provider, mode__in=modes).exists():
        return None  # the usual case: no fault switched on, one cheap read
    with transaction.atomic():
        fault = Fault.objects.select_for_update().filter(provider=provider, mode__in=modes).first()
        if fault is None:
            return None
        number = fault.draws + 1
        fires = draw(fault.seed, provider, number) < fault.rate
        changes: dict = {"draws": number}
        if fires and fault.remaining is not None:
            if fault.remaining <= 1:
                changes.update(mode=FaultMode.NONE, remaining=None)
            else:
                changes["remaining"] = fault.remaining - 1
        Fault.objects.filter(pk=fault.pk).update(**changes)
    if not fires:
        return None
    return FaultHit(mode=fault.mode, retry_after=fault.retry_after, delay=fault.delay)


def _sandbox_timeout(hit: FaultHit) -> float:
    return hit.delay if hit.delay is not None else float(getattr(settings, "SANDBOX_TIMEOUT_SECONDS", 3))


def fault_draw(provider: str) -> FaultHit | None:
    """Decide whether this API call fails before any work (``rate_limit``, ``server_error``, ``timeout``);
    sleeps first when the fault is a timeout."""
    hit = _drawn(provider, BEFORE_WORK)
    if hit is not None and hit.mode == FaultMode.TIMEOUT:
        time.sleep(_sandbox_timeout(hit))
    return hit


def write_draw(provider: str, method: str) -> FaultHit | None:
    """Decide what happens to this write (``slow_work``, ``lost_answer``, ``slow_answer``); reads draw nothing.
    ``slow_work`` waits here, before the work; the other two are applied to the answer by :func:`answer`."""
    if method.upper() in SAFE_METHODS:
        return None
    hit = _drawn(provider, ON_WRITES)
    if hit is not None and hit.mode == FaultMode.SLOW_WORK:
        time.sleep(_sandbox_timeout(hit))
        return None
    return hit


class LostAnswer(HttpResponse):
    """What a dropped connection leaves: nothing. Servers whose socket we reach never send it; the in-process
    transport turns it into the transport error a dropped connection gives; elsewhere it is a 502."""

    answer_lost = True

    def __init__(self):
        super().__init__(b"The connection was lost.", status=502, content_type="text/plain")


def _client_socket(request: HttpRequest):
    """The socket of the request's client connection, where the server lets us reach it: gunicorn names it;
    Django's development and test servers read the body from the connection's file, whose raw stream holds it."""
    found = request.environ.get("gunicorn.socket")
    if found is not None:
        return found
    stream = request.environ.get("wsgi.input")
    reader = getattr(getattr(stream, "_read", None), "__self__", None)  # Django's LimitedStream(rfile)
    return getattr(getattr(reader, "raw", None), "_sock", None)


def answer(hit: FaultHit, request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """The work of this write is done (committed); now lose its answer or send it too late."""
    if hit.mode == FaultMode.SLOW_ANSWER:
        delay = hit.delay if hit.delay is not None else float(settings.PROVIDER_HTTP_TIMEOUT_SECONDS) + 1
        time.sleep(delay)
        return response
    lost = LostAnswer()
    client = _client_socket(request)
    if client is not None:
        try:
            client.shutdown(socket.SHUT_RDWR)  # the client reads the end of the connection, and no answer
        except OSError:
            log.info("sandbox lost_answer: the connection was already gone")
    return lost
