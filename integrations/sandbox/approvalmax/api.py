"""ApprovalMax: companies and bills submitted into a company's approval workflow.

**The bill endpoint here is our stand-in, not ApprovalMax's.** The real create-and-submit endpoint
must be taken from ApprovalMax's published Public API reference (Swagger at
``https://public-api.approvalmax.com``); we could not verify it offline. The sandbox offers:

- ``GET /api/v1/companies`` → ``{"payload": [{"companyId", "name"}], "continuationToken": null}``
  (the companies the token was granted);
- ``POST /api/v1/companies/{companyId}/bills`` with ``{"contactName" | "supplierId", "number",
  "date", "dueDate", "currency", "lineItems": [{"description", "amount", "accountCode"}],
  "reference"}`` → ``{"payload": {"requestId", "status": "OnApproval", …}}``;
- ``GET /api/v1/companies/{companyId}/bills?reference=…`` and ``GET …/bills/{requestId}``.

There is no idempotency key: clients look a bill up by ``reference`` before creating it.
Errors are ASP.NET problem details (``{"title", "status", "errors": {field: [message]}}``), also an
assumption. No rate limits are documented, so none are imposed.

Reference rule: a document's ``reference`` is its ``reference`` field.
"""

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import ClassVar

from integrations.sandbox import clock, faults, oauth
from integrations.sandbox.errors import SandboxError
from integrations.sandbox.models import Document, Grant, Organisation, Provider
from integrations.sandbox.oauth import Policy
from integrations.sandbox.values import cents, number, parse_date, to_decimal

APPROVALMAX = Provider.APPROVALMAX
POLICY = Policy(
    provider=APPROVALMAX,
    name="ApprovalMax",
    access_ttl=3600,
    refresh_ttl=timedelta(days=30),
    rotate_after=None,
    grace=timedelta(0),  # one-time-use refresh tokens (IdentityServer's default; unsure for ApprovalMax)
    token_type="Bearer",
    secret_required=False,
    multi_org=True,
    jwt_access=True,
    scope_descriptions={
        "offline_access": "Keep access when you are not using the app",
        "https://www.approvalmax.com/scopes/public_api/read": "Read your companies and requests",
        "https://www.approvalmax.com/scopes/public_api/write": "Create, edit and submit requests",
    },
)
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _problem(status: int, title: str, detail: str = "", errors: dict | None = None) -> SandboxError:
    body = {"type": f"https://httpstatuses.io/{status}", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    return SandboxError(status, body)


def _fault_error(hit: faults.FaultHit) -> SandboxError:
    if hit.mode == "rate_limit":
        error = _problem(429, "Too Many Requests", "Rate limit exceeded")
        error.headers["Retry-After"] = str(hit.retry_after)
        return error
    if hit.mode == "timeout":
        return _problem(504, "Gateway Timeout")
    return _problem(500, "Internal Server Error", "An unexpected error occurred.")


@dataclass
class Call:
    provider: ClassVar[str] = APPROVALMAX
    grant: Grant
    organisation: Organisation | None
    headers: dict[str, str] = field(default_factory=dict)


@contextmanager
def api_call(*, authorization: str | None, company_id: str | None = None) -> Iterator[Call]:
    try:
        token, organisation = oauth.access_check(POLICY, authorization=authorization, organisation_id=company_id)
    except oauth.TokenRefused:
        error = _problem(401, "Unauthorized")
        error.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        raise error from None
    if company_id is not None and organisation is None:
        raise _problem(403, "Forbidden", "The company is not available to this token.")
    hit = faults.fault_draw(APPROVALMAX)
    if hit:
        raise _fault_error(hit)
    yield Call(grant=token.grant, organisation=organisation)


def companies_list(*, call: Call) -> dict:
    return {
        "payload": [
            {"companyId": o.external_id, "name": o.name} for o in call.grant.organisations.order_by("position")
        ],
        "continuationToken": None,
    }


def bill_create(*, call: Call, raw: bytes) -> dict:
    try:
        element = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        element = None
    if not isinstance(element, dict):
        raise _problem(400, "One or more validation errors occurred.", errors={"body": ["A JSON object is required."]})
    errors: dict[str, list[str]] = {}
    if not element.get("contactName") and not element.get("supplierId"):
        errors["contactName"] = ["Either contactName or supplierId is required."]
    dates = {}
    for key in ("date", "dueDate"):
        try:
            dates[key] = parse_date(element.get(key))
        except ValueError:
            errors[key] = ["A date as YYYY-MM-DD is required."]
    currency = element.get("currency") or call.organisation.currency
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        errors["currency"] = ["A three-letter ISO currency code is required."]
    lines, total = [], Decimal(0)
    given = element.get("lineItems")
    if not isinstance(given, list) or not given:
        errors["lineItems"] = ["At least one line item is required."]
    else:
        for position, line in enumerate(given):
            try:
                amount = to_decimal(line.get("amount")) if isinstance(line, dict) else None
            except ValueError:
                amount = None
            if amount is None:
                errors[f"lineItems[{position}].amount"] = ["An amount is required."]
                continue
            total += cents(amount)
            lines.append({**line, "amount": number(cents(amount))})
    if errors:
        raise _problem(400, "One or more validation errors occurred.", errors=errors)
    now = clock.now()
    request_id = str(uuid.uuid4())
    body = {
        **element,
        "requestId": request_id,
        "companyId": call.organisation.external_id,
        "status": "OnApproval",
        "currency": currency,
        "date": (dates["date"] or now.date()).isoformat(),
        "dueDate": dates["dueDate"].isoformat() if dates["dueDate"] else None,
        "lineItems": lines,
        "amount": number(total),
        "createdAt": now.isoformat(),
        "modifiedAt": now.isoformat(),
    }
    Document.objects.create(
        provider=APPROVALMAX,
        organisation=call.organisation,
        external_id=request_id,
        type="Bill",
        reference=str(element.get("reference") or ""),
        total=total,
        currency=currency,
        received=element,
        body=body,
        created_at=now,
        updated_at=now,
    )
    return {"payload": body}


def bills_list(*, call: Call, reference: str | None) -> dict:
    documents = Document.objects.filter(provider=APPROVALMAX, organisation=call.organisation, type="Bill")
    if reference:
        documents = documents.filter(reference=reference)
    return {"payload": [d.body for d in documents], "continuationToken": None}


def bill_detail(*, call: Call, request_id: str) -> dict:
    document = Document.objects.filter(
        provider=APPROVALMAX, organisation=call.organisation, external_id=request_id.lower()
    ).first()
    if document is None:
        raise _problem(404, "Not Found")
    return {"payload": document.body}
