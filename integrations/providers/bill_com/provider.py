"""Bill.com (v3): organisation id, developer key, user name and password; session login."""

import contextlib

import httpx

from integrations import http
from integrations.providers.base import AuthKind, ConnectResult, CredentialsRefused, ItemKind, Provider, TransientError
from integrations.providers.bill_com.endpoints import API, ENDPOINTS, REQUIRED_CREDENTIALS, V3_PATH


def login(credentials: dict) -> dict:
    """``POST /connect/v3/login``: the session, or CredentialsRefused / TransientError."""
    body = {
        "username": credentials["username"],
        "password": credentials["password"],
        "organizationId": credentials["organization_id"],
        "devKey": credentials["dev_key"],
    }
    try:
        with http.client() as client:
            response = client.post(http.url(API, f"{V3_PATH}/login"), json=body)
    except httpx.HTTPError as exc:
        raise TransientError(f"Could not reach Bill.com: {exc.__class__.__name__}.") from None
    if response.status_code >= 500:
        raise TransientError(f"Bill.com answered {response.status_code}.")
    if response.status_code != 200:
        messages = []
        with contextlib.suppress(ValueError):
            messages = [e.get("message", "") for e in response.json() if isinstance(e, dict)]
        raise CredentialsRefused("; ".join(m for m in messages if m) or "Bill.com refused these credentials.")
    return response.json()


class BillCom(Provider):
    key = "bill_com"
    name = "Bill.com"
    kind = "additional"
    auth = AuthKind.CREDENTIALS
    rate_limit_per_minute = 300
    max_concurrent = 3
    batch_size = 100  # POST /v3/bills/bulk
    attachments_inline = True  # POST /documents/bills/{id}, one call per bill, inside the publish
    item_kinds = (ItemKind.COST, ItemKind.EXPENSE_CLAIM)
    endpoints = ENDPOINTS

    def connect_with_credentials(self, *, credentials: dict) -> ConnectResult:
        missing = [f for f in REQUIRED_CREDENTIALS if not str(credentials.get(f, "")).strip()]
        if missing:
            raise CredentialsRefused(f"Missing: {', '.join(missing)}.")
        clean = {f: str(credentials[f]).strip() for f in REQUIRED_CREDENTIALS}
        session = login(clean)
        return ConnectResult(
            organisation_name=session.get("organizationName") or clean["organization_id"],
            external_tenant_id=clean["organization_id"],
            credentials={**clean, "session_id": session.get("sessionId", "")},
        )

    def revoke(self, *, credentials: dict, external_tenant_id: str) -> None:
        """End the API session (``POST /connect/v3/logout``); Bill.com has no tokens to revoke."""
        if not credentials.get("session_id"):
            return
        try:
            with http.client() as client:
                response = client.post(
                    http.url(API, f"{V3_PATH}/logout"),
                    headers={"devKey": credentials.get("dev_key", ""), "sessionId": credentials["session_id"]},
                )
        except httpx.HTTPError as exc:
            raise TransientError(f"Could not reach Bill.com: {exc.__class__.__name__}.") from None
        if response.status_code >= 500:
            raise TransientError(f"Bill.com answered {response.status_code}.")

    def client(self, connection):
        from integrations.providers.bill_com.client import BillComClient

        return BillComClient(connection)
