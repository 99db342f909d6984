"""QuickBooks Online: OAuth 2.0; the company is the ``realmId`` of the callback."""

from integrations import http
from integrations.providers.base import ItemKind, TransientError
from integrations.providers.oauth import OAuth2Provider
from integrations.providers.quickbooks_online.endpoints import (
    API,
    APPCENTER,
    BATCH_REQUEST_SIZE,
    BATCH_REQUESTS_PER_MINUTE,
    ENDPOINTS,
    MAX_ATTACHMENT_BYTES,
    MINOR_VERSION,
    OAUTH,
    OAUTH_REGISTRATION,
    REVOKE,
)
from integrations.providers.quickbooks_online.lists import PASSES


class QuickBooksOnline(OAuth2Provider):
    key = "quickbooks_online"
    name = "QuickBooks Online"
    kind = "main"
    rate_limit_per_minute = 500
    max_concurrent = 10
    batch_size = 30  # jobs a worker publishes together, in batch requests of 10 operations
    request_size = BATCH_REQUEST_SIZE
    batch_rate_limit_per_minute = BATCH_REQUESTS_PER_MINUTE  # and its own limit of batch requests a minute
    max_attachment_bytes = MAX_ATTACHMENT_BYTES  # one upload request, file and metadata: 100 MB
    calls_per_attachment = 1  # POST /upload, once the document's id is saved
    uploads_at_once = 8  # of its 10 calls at once (bearer-token uploads, no session): two left for publishes, syncs
    # Accounts (and payment accounts), tax codes, vendors and customers, products and services, classes and
    # departments: see lists.py.
    list_passes = PASSES
    item_kinds = (ItemKind.COST, ItemKind.EXPENSE_CLAIM, ItemKind.SALES)
    publish_as_choices = (("bill", "Bill"), ("purchase", "Purchase (expense)"))
    endpoints = ENDPOINTS
    registration = OAUTH_REGISTRATION
    authorize_base, authorize_path = APPCENTER, "/connect/oauth2"
    scopes = ("com.intuit.quickbooks.accounting",)
    uses_pkce = False  # Intuit's authorization server does not take PKCE for confidential clients

    def token_endpoint(self) -> str:
        return http.url(OAUTH, "/oauth2/v1/tokens/bearer")

    def revoke(self, *, credentials: dict, external_tenant_id: str) -> None:
        """Intuit's revocation endpoint takes the token as JSON (``{"token": …}``) with the client's Basic auth;
        revoking the refresh token disconnects the app from the company."""
        if not credentials.get("refresh_token"):
            return
        registration = self.client_registration()
        self._revoke_call(
            lambda: http.shared_post(
                http.url(REVOKE, "/v2/oauth2/tokens/revoke"),
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
            url = http.url(API, f"/v3/company/{realm_id}/companyinfo/{realm_id}")
            info = self.bearer_get(url, token, params={"minorversion": MINOR_VERSION}).json()
            name = info.get("CompanyInfo", {}).get("CompanyName") or name
        except TransientError:
            pass  # the company name is a nicety; the realm id is what matters
        return [{"id": realm_id, "name": name}]

    def client(self, connection):
        from integrations.providers.quickbooks_online.client import QuickBooksOnlineClient

        return QuickBooksOnlineClient(connection)
