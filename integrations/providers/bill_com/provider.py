"""Bill.com (v3): organisation id, developer key, user name and password; session login."""

import httpx

from integrations import http
from integrations.providers.base import (
    AuthKind,
    ConnectResult,
    CredentialsRefused,
    ItemKind,
    Provider,
    RateLimited,
    TransientError,
)
from integrations.providers.bill_com.endpoints import (
    API,
    ENDPOINTS,
    MAX_ATTACHMENT_BYTES,
    REQUIRED_CREDENTIALS,
    V3_PATH,
)
from integrations.providers.bill_com.errors import error_for, message_of
from integrations.providers.bill_com.lists import PASSES


def login(credentials: dict) -> dict:
    """``POST /connect/v3/login``: the session; CredentialsRefused when Bill.com refuses the sign-in (or the
    request); ProviderRateLimited when the developer key's 200 logins an hour are spent (``BDC_1144``: a throttled
    login is no refused password, it waits for the next hour); TransientError for the network and 5xx. Read by
    ``BDC_`` code (bill_com.errors)."""
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
    if response.status_code < 400:
        return response.json()
    error = error_for(response)
    if isinstance(error, TransientError | RateLimited):
        raise error
    raise CredentialsRefused(message_of(response, "Bill.com refused these credentials."))


class BillCom(Provider):
    key = "bill_com"
    name = "Bill.com"
    kind = "additional"
    auth = AuthKind.CREDENTIALS
    rate_limit_per_minute = 300
    max_concurrent = 3
    batch_size = 100  # POST /v3/bills/bulk
    # POST /documents/bills/{id} once the bill's id is saved (a retry first looks for a document of that name).
    calls_per_attachment = 1
    max_attachment_bytes = MAX_ATTACHMENT_BYTES
    item_kinds = (ItemKind.COST, ItemKind.EXPENSE_CLAIM)
    endpoints = ENDPOINTS
    # The organisation's own chart of accounts, its vendors, and its accounting classes, departments and locations
    # (see lists.py). Bill.com keeps no tax rates: a bill carries its tax in its amounts.
    list_passes = PASSES

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
