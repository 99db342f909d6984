"""The guard every call of the sandbox's Xero API goes through (bearer token, tenant, limits, faults), Xero's error
shapes and envelope, and the create-or-update of a request's elements under its Idempotency-Key."""

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import ClassVar

from django.conf import settings

from integrations.sandbox import clock, counters, faults, idempotency, oauth
from integrations.sandbox.errors import SandboxError
from integrations.sandbox.models import Grant, Organisation
from integrations.sandbox.unit import Unit
from integrations.sandbox.values import ms_date
from integrations.sandbox.xero.constants import (
    APP_MINUTE_LIMIT,
    BODY_LIMIT,
    CONCURRENT_LIMIT,
    DAY_LIMIT,
    MINUTE_LIMIT,
    POLICY,
    XERO,
)


def xero_problem(status: int, title: str, detail: str, headers: dict | None = None) -> SandboxError:
    return SandboxError(status, {"Type": None, "Title": title, "Status": status, "Detail": detail}, headers=headers)


def not_found() -> SandboxError:
    return SandboxError(404, "The resource you're looking for cannot be found", content_type="text/plain")


def validation(elements: list[dict]) -> SandboxError:
    return SandboxError(
        400,
        {
            "ErrorNumber": 10,
            "Type": "ValidationException",
            "Message": "A validation exception occurred",
            "Elements": elements,
        },
    )


def bad_request(error_type: str, number_: int, message: str) -> SandboxError:
    return SandboxError(400, {"ErrorNumber": number_, "Type": error_type, "Message": message})


def rate_limited(problem: str, retry_after: int) -> SandboxError:
    return xero_problem(
        429,
        "Too Many Requests",
        "Rate limit exceeded",
        headers={"Retry-After": str(retry_after), "X-Rate-Limit-Problem": problem},
    )


def _fault_error(hit: faults.FaultHit) -> SandboxError:
    if hit.mode == "rate_limit":
        return rate_limited("minute", hit.retry_after)
    if hit.mode == "timeout":
        return xero_problem(504, "Gateway Timeout", "The request timed out")
    return xero_problem(500, "An error occurred", "An error occurred in Xero. Check the API Status page for details.")


def _fault_check() -> None:
    hit = faults.fault_draw(XERO)
    if hit:
        raise _fault_error(hit)


def day_limit() -> int:
    """The organisation's calls a day for the tier our app is on (XERO_DAY_LIMIT: 5,000, or 1,000 on the tier new
    apps start on); DAY_LIMIT when the setting is absent."""
    return int(getattr(settings, "XERO_DAY_LIMIT", DAY_LIMIT))


@dataclass
class Call:
    provider: ClassVar[str] = XERO
    grant: Grant
    organisation: Organisation | None
    headers: dict[str, str] = field(default_factory=dict)
    unit: Unit = field(default_factory=Unit)


@contextmanager
def api_call(*, authorization: str | None, tenant_id: str | None, needs_tenant: bool = True) -> Iterator[Call]:
    try:
        token, organisation = oauth.access_check(
            POLICY, authorization=authorization, organisation_id=tenant_id if needs_tenant else None
        )
    except oauth.TokenRefused as refused:
        headers = {} if refused.reason == "missing" else {"WWW-Authenticate": 'Bearer error="invalid_token"'}
        raise xero_problem(401, "Unauthorized", "AuthenticationUnsuccessful", headers=headers) from None
    if needs_tenant and organisation is None:
        raise xero_problem(403, "Forbidden", "AuthorizationUnsuccessful")
    if organisation is None:
        _fault_check()
        yield Call(grant=token.grant, organisation=None)
        return
    tenant = organisation.external_id
    try:
        remaining = counters.calls_count(
            [
                counters.Limit(f"xero:minute:{tenant}", 60, MINUTE_LIMIT, "minute"),
                counters.Limit(f"xero:day:{tenant}", 86_400, day_limit(), "day"),
                counters.Limit(f"xero:appminute:{token.grant.client_id}", 60, APP_MINUTE_LIMIT, "appminute"),
            ]
        )
    except counters.LimitExceeded as exceeded:
        raise rate_limited(exceeded.problem, exceeded.retry_after) from None
    headers = {
        "X-MinLimit-Remaining": str(remaining["minute"]),
        "X-DayLimit-Remaining": str(remaining["day"]),
        "X-AppMinLimit-Remaining": str(remaining["appminute"]),
    }
    try:
        with counters.concurrency_slot(f"xero:{tenant}", CONCURRENT_LIMIT):
            _fault_check()  # inside the slot: a slow answer holds it, as a slow Xero would
            yield Call(grant=token.grant, organisation=organisation, headers=headers)
    except counters.LimitExceeded as exceeded:
        raise rate_limited(exceeded.problem, exceeded.retry_after) from None


def envelope(call: Call, key: str, items: list) -> dict:
    return {
        "Id": str(uuid.uuid4()),
        "Status": "OK",
        "ProviderName": oauth.client_app_name(call.grant.client_id),
        "DateTimeUTC": ms_date(clock.now()),
        key: items,
    }


def _parse(raw: bytes) -> dict | list:
    if len(raw) > BODY_LIMIT:
        raise SandboxError(413, {"Type": None, "Title": "Payload Too Large", "Status": 413, "Detail": "Max 3.5 MB"})
    try:
        payload = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise bad_request("PostDataInvalidException", 14, "Invalid Json data") from None
    if not isinstance(payload, dict | list):
        raise bad_request("PostDataInvalidException", 14, "Invalid Json data")
    return payload


def _elements(payload: dict | list, key: str) -> list[dict]:
    """Xero takes ``{"Invoices": [...]}``, a bare list, or one object."""
    if isinstance(payload, dict) and key in payload:
        payload = payload[key]
    items = payload if isinstance(payload, list) else [payload]
    if not items or not all(isinstance(item, dict) for item in items):
        raise bad_request("PostDataInvalidException", 14, f"Invalid {key} data")
    return items


def _key_check(key: str) -> None:
    if len(key) > 128:
        raise validation([{"ValidationErrors": [{"Message": "Idempotency-Key must be 128 characters or fewer"}]}])


def save_all(
    call: Call,
    raw: bytes,
    key: str,
    save: Callable[..., tuple[list[str], dict | None]],
    idempotency_key: str,
    summarize_errors: bool,
) -> tuple[int, dict, bool]:
    _key_check(idempotency_key)
    elements = _elements(_parse(raw), key)

    def run() -> tuple[int, dict]:  # in the replay's transaction
        # A refused element wrote nothing (every save checks before it writes), so the others stand.
        results = [save(call, element, idempotency_key) for element in elements]
        if summarize_errors and any(messages for messages, _ in results):
            raise validation(
                [
                    {**element, "ValidationErrors": [{"Message": m} for m in messages]}
                    for element, (messages, _) in zip(elements, results, strict=True)
                    if messages
                ]
            )
        call.unit.insert()
        items = [
            {**body, "StatusAttributeString": "OK"}
            if not messages
            else {**element, "StatusAttributeString": "ERROR", "ValidationErrors": [{"Message": m} for m in messages]}
            for element, (messages, body) in zip(elements, results, strict=True)
        ]
        if summarize_errors:
            items = [{k: v for k, v in item.items() if k != "StatusAttributeString"} for item in items]
        return 200, envelope(call, key, items)

    return idempotency.replay_or_run(provider=XERO, organisation=call.organisation, key=idempotency_key, run=run)
