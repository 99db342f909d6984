"""ApprovalMax: OAuth 2.0; bills go into the company's approval workflow."""

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
    scopes = (
        "openid",
        "offline_access",
        "https://www.approvalmax.com/scopes/public_api/read",
        "https://www.approvalmax.com/scopes/public_api/write",
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
