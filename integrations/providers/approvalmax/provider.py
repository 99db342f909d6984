"""ApprovalMax: OAuth 2.0 (to know the companies the business has there); bills reach its approval workflow through
the business's Xero organisation (see client.py)."""

from integrations import http
from integrations.providers.approvalmax.endpoints import API, ENDPOINTS, IDENTITY, OAUTH_REGISTRATION
from integrations.providers.base import ItemKind
from integrations.providers.oauth import OAuth2Provider


class ApprovalMax(OAuth2Provider):
    key = "approvalmax"
    name = "ApprovalMax"
    kind = "additional"
    rate_limit_per_minute = 60
    max_concurrent = 5
    item_kinds = (ItemKind.COST, ItemKind.EXPENSE_CLAIM)
    endpoints = ENDPOINTS
    registration = OAUTH_REGISTRATION
    authorize_base, authorize_path = IDENTITY, "/connect/authorize"
    # Read only: the Public API's published operations read companies and requests; bills are not created through it.
    scopes = (
        "openid",
        "offline_access",
        "https://www.approvalmax.com/scopes/public_api/read",
    )
    # Its items are coded against the main ledger's lists (the bill is made there) and go there, awaiting approval.
    lists_from_main = True
    # The bill's attachment goes to the main ledger after the bill, as that ledger's own client uploads it.
    calls_per_attachment = 1
    connection_note = (
        "Bills for ApprovalMax are created in your Xero organisation as Awaiting Approval; ApprovalMax pulls them "
        "into its approval workflow (about hourly; a requester must be set under Pulling from Xero in ApprovalMax) "
        "and marks them approved in Xero."
    )

    def token_endpoint(self) -> str:
        return http.url(IDENTITY, "/connect/token")

    def revocation_endpoint(self) -> str:
        return http.url(IDENTITY, "/connect/revocation")

    def organisations(self, *, token: dict, callback_params: dict) -> list[dict]:
        response = self.bearer_get(http.url(API, "/api/v1/companies"), token)
        return [
            {"id": c["companyId"], "name": c.get("name") or c["companyId"]} for c in response.json().get("payload", [])
        ]

    def client(self, connection):
        from integrations.providers.approvalmax.client import ApprovalMaxClient

        return ApprovalMaxClient(connection)
