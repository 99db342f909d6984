"""ApprovalMax Public API client: bills go into the company's approval workflow.

The bill endpoint follows the sandbox's reading of ApprovalMax's published reference, which could
not be checked offline here. There is no idempotency key: a bill is looked up by our reference first.
"""

from __future__ import annotations

from decimal import Decimal

from integrations import http
from integrations.providers.approvalmax.endpoints import API, APP
from integrations.providers.base import ExternalRef, ValidationError
from integrations.providers.document import PublishDocument
from integrations.providers.http_client import OAuthProviderClient


class ApprovalMaxClient(OAuthProviderClient):
    provider_name = "ApprovalMax"

    def bills_url(self, suffix: str = "") -> str:
        company = self.connection.external_tenant_id
        return http.url(API, f"/api/v1/companies/{company}/bills{suffix}")

    def validation_message(self, response) -> str:
        try:
            body = response.json()
        except ValueError:
            return f"ApprovalMax refused the document ({response.status_code})."
        errors = body.get("errors") or {}
        parts = (
            [f"{field}: {' '.join(messages)}" for field, messages in errors.items()] if isinstance(errors, dict) else []
        )
        return "; ".join(parts) or body.get("detail") or body.get("title") or "ApprovalMax refused the document."

    def publish(self, doc: PublishDocument) -> ExternalRef:
        found = self.call("GET", self.bills_url(), params={"reference": doc.reference}).json().get("payload") or []
        if found:
            request = found[0]
        else:
            body = {
                "contactName": doc.contact_name,
                "number": doc.invoice_number,
                "date": doc.date.isoformat(),
                "dueDate": doc.due_date.isoformat() if doc.due_date else None,
                "currency": doc.currency,
                "reference": doc.reference,
                "lineItems": [
                    {
                        "description": doc.line_description[:4000],
                        "amount": float(Decimal(doc.total).quantize(Decimal("0.01"))),
                        "accountCode": doc.account_code,
                    }
                ],
            }
            request = self.call("POST", self.bills_url(), json=body).json().get("payload") or {}
        if not request.get("requestId"):
            raise ValidationError("ApprovalMax answered without the request.")
        app = http.url(APP)
        return ExternalRef(external_id=request["requestId"], url=f"{app}/requests/{request['requestId']}")
