"""The guard every call of the sandbox's QuickBooks Online API goes through (bearer token, realm, limits,
faults), and Intuit's error shapes (``Fault``; lowercase ``fault`` on 401)."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import ClassVar

from integrations.sandbox import clock, counters, faults, oauth
from integrations.sandbox.errors import SandboxError
from integrations.sandbox.models import Grant, Organisation
from integrations.sandbox.quickbooks_online import constants
from integrations.sandbox.quickbooks_online.constants import PACIFIC, POLICY, QBO, REQUEST_ID_MAX
from integrations.sandbox.unit import Unit


def qbo_time(moment=None) -> str:
    moment = (moment or clock.now()).astimezone(PACIFIC)
    return moment.isoformat(timespec="milliseconds")


def intuit_fault(
    message: str, detail: str, code: str, *, element: str = "", status: int = 400, kind: str = "ValidationFault"
) -> SandboxError:
    return SandboxError(
        status,
        {
            "Fault": {
                "Error": [{"Message": message, "Detail": detail, "code": code, "element": element}],
                "type": kind,
            },
            "time": qbo_time(),
        },
    )


def required_missing(name: str) -> SandboxError:
    return intuit_fault(
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {name} is missing in the request",
        "2020",
        element=name,
    )


def invalid_reference(what: str, value) -> SandboxError:
    return intuit_fault("Invalid Reference Id", f"Invalid Reference Id : {what} element id {value} not found", "2500")


def not_found() -> SandboxError:
    return intuit_fault(
        "Object Not Found",
        "Object Not Found : Something you're trying to use has been made inactive. "
        "Check the fields with accounts, customers, items, vendors or employees.",
        "610",
    )


def query_error(detail: str) -> SandboxError:
    return intuit_fault("Error parsing query", f"QueryParserError: {detail}", "4000")


def service_fault(status: int, message: str, detail: str, code: str, *, kind: str = "SERVICE") -> SandboxError:
    """The gateway's faults (authentication, authorisation, throttling) come with lowercase keys."""
    return SandboxError(
        status,
        {"fault": {"error": [{"message": message, "detail": detail, "code": code}], "type": kind}, "time": qbo_time()},
    )


def throttled(retry_after: int | None = None) -> SandboxError:
    """Over a limit: 429 with Intuit's lowercase fault (ThrottleExceeded, 003001) and no ``Retry-After`` (Intuit
    documents none; its advice is to wait for the next minute). ``retry_after`` is ignored."""
    return service_fault(
        429, "message=ThrottleExceeded; errorCode=003001; statusCode=429", "The request limit was reached.", "3001"
    )


def _fault_error(hit: faults.FaultHit) -> SandboxError:
    if hit.mode == "rate_limit":
        return throttled(hit.retry_after)
    if hit.mode == "timeout":
        return intuit_fault("Gateway Timeout", "The request timed out", "10000", status=504, kind="SystemFault")
    return intuit_fault(
        "An application error has occurred while processing your request",
        "System Failure Error: An unexpected error occurred while accessing or saving your data.",
        "10000",
        status=500,
        kind="SystemFault",
    )


@dataclass
class Call:
    provider: ClassVar[str] = QBO
    grant: Grant
    organisation: Organisation
    headers: dict[str, str] = field(default_factory=dict)
    unit: Unit = field(default_factory=Unit)


@contextmanager
def api_call(*, authorization: str | None, realm_id: str) -> Iterator[Call]:
    try:
        token, organisation = oauth.access_check(POLICY, authorization=authorization, organisation_id=realm_id)
    except oauth.TokenRefused as refused:
        detail = "Token expired" if refused.reason == "expired" else "Token invalid"
        raise SandboxError(
            401,
            {
                "fault": {
                    "error": [
                        {
                            "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                            "detail": detail,
                            "code": "3200",
                        }
                    ],
                    "type": "AUTHENTICATION",
                }
            },
            headers={"WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"'},
        ) from None
    if organisation is None:
        raise service_fault(
            403,
            "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
            "The application is not authorized to access this company",
            "3100",
        )
    try:
        counters.calls_count([counters.Limit(f"qbo:minute:{realm_id}", 60, constants.MINUTE_LIMIT, "minute")])
        with counters.concurrency_slot(f"qbo:{realm_id}", constants.CONCURRENT_LIMIT):
            hit = faults.fault_draw(QBO)
            if hit:
                raise _fault_error(hit)
            yield Call(grant=token.grant, organisation=organisation)
    except counters.LimitExceeded as exceeded:
        raise throttled(exceeded.retry_after) from None


def parse(raw: bytes) -> dict:
    try:
        payload = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        payload = None
    if not isinstance(payload, dict):
        raise intuit_fault(
            "Request has invalid or unsupported property",
            "Property Name:the request body specified is unsupported or invalid",
            "2010",
        )
    return payload


def meta(created, updated) -> dict:
    return {
        "CreateTime": qbo_time(created).replace(".000", ""),
        "LastUpdatedTime": qbo_time(updated).replace(".000", ""),
    }


def next_id(organisation: Organisation) -> str:
    return str(100 + counters.sequence_next(f"qbo:id:{organisation.external_id}"))


def request_id_check(request_id: str) -> None:
    if len(request_id) > REQUEST_ID_MAX:
        raise intuit_fault("Invalid requestid", f"requestid must be {REQUEST_ID_MAX} characters or fewer", "2000")
