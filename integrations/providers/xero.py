"""Xero: OAuth 2.0 with PKCE; the organisation (tenant) is picked from ``GET /connections``."""

from integrations import http
from integrations.providers.base import ItemKind
from integrations.providers.oauth import OAuth2Provider


class Xero(OAuth2Provider):
    key = "xero"
    name = "Xero"
    kind = "main"
    rate_limit_per_minute = 60
    max_concurrent = 5
    batch_size = 50  # "up to ~50 documents per call"
    item_kinds = (ItemKind.COST, ItemKind.EXPENSE_CLAIM, ItemKind.SALES)
    publish_as_choices = (("bill", "Bill (accounts payable)"), ("spend_money", "Spend money"))
    scopes = (
        "openid",
        "profile",
        "email",
        "offline_access",
        "accounting.transactions",
        "accounting.contacts",
        "accounting.settings.read",
        "accounting.attachments",
    )

    def authorize_endpoint(self) -> str:
        return http.endpoint("xero", "login", "/identity/connect/authorize")

    def token_endpoint(self) -> str:
        return http.endpoint("xero", "identity", "/connect/token")

    def organisations(self, *, token: dict, callback_params: dict) -> list[dict]:
        response = self.bearer_get(http.endpoint("xero", "api", "/connections"), token)
        return [
            {"id": c["tenantId"], "name": c.get("tenantName") or c["tenantId"]}
            for c in response.json()
            if c.get("tenantType", "ORGANISATION") == "ORGANISATION"
        ]

    def client(self, connection):
        from integrations.providers.clients.xero import XeroClient

        return XeroClient(connection)
