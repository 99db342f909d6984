"""QuickBooks Online: OAuth 2.0; the company is the ``realmId`` of the callback."""

from django.conf import settings

from integrations import http
from integrations.providers.base import ItemKind, TransientError
from integrations.providers.oauth import OAuth2Provider

MINOR_VERSION = "75"


class QuickBooksOnline(OAuth2Provider):
    key = "quickbooks_online"
    name = "QuickBooks Online"
    kind = "main"
    rate_limit_per_minute = 500
    max_concurrent = 10
    batch_size = 30  # jobs a worker publishes together,
    request_size = 10  # in batch requests of 10 operations ("up to 10 payloads with a single batch operation")
    batch_rate_limit_per_minute = 40  # and its own limit of batch requests a minute per company
    item_kinds = (ItemKind.COST, ItemKind.EXPENSE_CLAIM, ItemKind.SALES)
    publish_as_choices = (("bill", "Bill"), ("purchase", "Purchase (expense)"))
    scopes = ("com.intuit.quickbooks.accounting",)
    uses_pkce = False  # Intuit's authorization server does not take PKCE for confidential clients

    def authorize_endpoint(self) -> str:
        return http.endpoint("quickbooks_online", "appcenter", "/connect/oauth2")

    def token_endpoint(self) -> str:
        return http.endpoint("quickbooks_online", "oauth", "/oauth2/v1/tokens/bearer")

    def revoke(self, *, credentials: dict, external_tenant_id: str) -> None:
        """Intuit's revocation endpoint takes the token as JSON (``{"token": …}``) with the client's Basic auth;
        revoking the refresh token disconnects the app from the company."""
        if not credentials.get("refresh_token"):
            return
        registration = settings.OAUTH_CLIENTS[self.key]
        self._revoke_call(
            lambda: http.shared_post(
                http.endpoint("quickbooks_online", "revoke", "/v2/oauth2/tokens/revoke"),
                json={"token": credentials["refresh_token"]},
                auth=(registration["client_id"], registration["client_secret"]),
                headers={"Accept": "application/json"},
            )
        )

    def organisations(self, *, token: dict, callback_params: dict) -> list[dict]:
        realm_id = callback_params.get("realmId", "")
        if not realm_id:
            return []
        name = f"QuickBooks company {realm_id}"
        try:
            url = http.endpoint("quickbooks_online", "api", f"/v3/company/{realm_id}/companyinfo/{realm_id}")
            info = self.bearer_get(url, token, params={"minorversion": MINOR_VERSION}).json()
            name = info.get("CompanyInfo", {}).get("CompanyName") or name
        except TransientError:
            pass  # the company name is a nicety; the realm id is what matters
        return [{"id": realm_id, "name": name}]

    def client(self, connection):
        from integrations.providers.clients.quickbooks_online import QuickBooksOnlineClient

        return QuickBooksOnlineClient(connection)
