"""Xero: OAuth 2.0 with PKCE; the organisation (tenant) is picked from ``GET /connections``."""

import time

from django.conf import settings

from integrations import http
from integrations.providers.base import ItemKind
from integrations.providers.oauth import OAuth2Provider
from integrations.providers.xero.endpoints import (
    API,
    ENDPOINTS,
    IDENTITY,
    LOGIN,
    MAX_ATTACHMENT_BYTES,
    OAUTH_REGISTRATION,
)
from integrations.providers.xero.lists import PASSES


class Xero(OAuth2Provider):
    key = "xero"
    name = "Xero"
    kind = "main"
    rate_limit_per_minute = 60
    max_concurrent = 5
    batch_size = 50  # "up to ~50 documents per call"
    calls_per_attachment = 1  # PUT …/Attachments/{name}, once the document's id is saved
    uploads_at_once = 4  # of its 5 calls at once: one is left for a publish or a list sync
    max_attachment_bytes = MAX_ATTACHMENT_BYTES
    item_kinds = (ItemKind.COST, ItemKind.EXPENSE_CLAIM, ItemKind.SALES)
    publish_as_choices = (("bill", "Bill (accounts payable)"), ("spend_money", "Spend money"))
    endpoints = ENDPOINTS
    registration = OAUTH_REGISTRATION
    authorize_base, authorize_path = LOGIN, "/identity/connect/authorize"
    # Granular scopes (apps created from March 2026 may not ask for ``accounting.transactions``): bills and sales,
    # spend money, contacts, the lists (accounts, tax rates, tracking: settings), attachments.
    scopes = (
        "openid",
        "profile",
        "email",
        "offline_access",
        "accounting.invoices",
        "accounting.banktransactions",
        "accounting.contacts",
        "accounting.settings.read",
        "accounting.attachments",
    )
    # Accounts (and the bank accounts and credit cards paid from), tax rates, contacts, tracking: see lists.py.
    list_passes = PASSES
    # ApprovalMax pulls Xero bills awaiting approval (SUBMITTED) into its workflow; approved, it sets them AUTHORISED.
    approval_route = "SUBMITTED"

    @property
    def day_limit(self) -> int:
        """5,000 calls a day per organisation, 1,000 on the tier new apps start on (XERO_DAY_LIMIT)."""
        return settings.XERO_DAY_LIMIT

    def token_endpoint(self) -> str:
        return http.url(IDENTITY, "/connect/token")

    def revocation_endpoint(self) -> str:
        return http.url(IDENTITY, "/connect/revocation")

    def organisations(self, *, token: dict, callback_params: dict) -> list[dict]:
        response = self.bearer_get(http.url(API, "/connections"), token)
        return [
            {
                "id": c["tenantId"],
                "name": c.get("tenantName") or c["tenantId"],
                # The connection's own id: DELETE /connections/{id} ends it when the business disconnects.
                "credentials": {"xero_connection_id": c["id"]} if c.get("id") else {},
            }
            for c in response.json()
            if c.get("tenantType", "ORGANISATION") == "ORGANISATION"
        ]

    def revoke(self, *, credentials: dict, external_tenant_id: str) -> None:
        """Remove the organisation's connection (stale ones count against the app's connection limit), then revoke
        the refresh token. An expired access token is refreshed first: the DELETE needs a live one."""
        token = dict(credentials)
        if float(token.get("expires_at") or 0) < time.time() + 30 and token.get("refresh_token"):
            token = {**token, **self.refresh_token(refresh_token=token["refresh_token"])}
        connection_id = token.get("xero_connection_id") or next(
            (
                c.get("id")
                for c in self.bearer_get(http.url(API, "/connections"), token).json()
                if c.get("tenantId") == external_tenant_id
            ),
            None,
        )
        if connection_id:
            self.bearer_delete(http.url(API, f"/connections/{connection_id}"), token)
        super().revoke(credentials=token, external_tenant_id=external_tenant_id)

    def client(self, connection):
        from integrations.providers.xero.client import XeroClient

        return XeroClient(connection)
