"""Fixtures for the sandbox's tests: a clock to travel in time with, and helpers that walk the OAuth
flows and call the APIs through Django's test client (real HTTP handling, no mocks)."""

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.conf import settings
from django.test import Client

from integrations.sandbox import clock as sandbox_clock

# With the sandbox switched off (SANDBOX_ENABLED false) its app and routes are absent: nothing to test.
if "integrations.sandbox" not in settings.INSTALLED_APPS:
    collect_ignore_glob = ["test_*.py"]

# The product's own callback: the sandbox, like a real provider, redirects only to the app's registered URIs.
REDIRECT_URI = "http://testserver/integrations/oauth/callback/?from=sandbox"
AUTHORIZE = {
    "xero": "/sandbox/xero/identity/connect/authorize",
    "quickbooks_online": "/sandbox/quickbooks_online/connect/oauth2",
    "approvalmax": "/sandbox/approvalmax/connect/authorize",
}
TOKEN = {
    "xero": "/sandbox/xero/identity/connect/token",
    "quickbooks_online": "/sandbox/quickbooks_online/oauth2/v1/tokens/bearer",
    "approvalmax": "/sandbox/approvalmax/connect/token",
}
SCOPES = {
    "xero": "openid offline_access accounting.invoices accounting.banktransactions accounting.contacts "
    "accounting.settings accounting.attachments",
    "quickbooks_online": "com.intuit.quickbooks.accounting",
    "approvalmax": "https://www.approvalmax.com/scopes/public_api/read "
    "https://www.approvalmax.com/scopes/public_api/write offline_access",
}
XERO_API = "/sandbox/xero/api.xro/2.0"


class Clock:
    def __init__(self):
        self.now = datetime(2030, 1, 7, 10, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    travelling = Clock()
    monkeypatch.setattr(sandbox_clock, "now", travelling)
    return travelling


@pytest.fixture(autouse=True)
def _sandbox(db, clock):
    """Every sandbox test runs against the database with the clock under its control."""


@pytest.fixture
def client() -> Client:
    return Client()


def own() -> dict[str, str]:
    """Headers for the sandbox's own endpoints (documents, faults, reset), which outside development want its token."""
    from django.conf import settings

    return {"Authorization": f"Bearer {settings.SANDBOX_TOKEN}"}


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def form_post(client: Client, path: str, form: dict, **kwargs):
    return client.post(path, urlencode(form, doseq=True), content_type="application/x-www-form-urlencoded", **kwargs)


def redirect_params(response) -> dict[str, str]:
    assert response.status_code == 302, response.content
    query = parse_qs(urlsplit(response["Location"]).query)
    return {key: values[-1] for key, values in query.items()}


def authorize_params(provider: str, **overrides) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": "dext-client",
        "redirect_uri": REDIRECT_URI,
        "scope": SCOPES[provider],
        "state": "state-" + secrets.token_hex(4),
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def allow(client: Client, provider: str, params: dict[str, str], **form) -> dict[str, str]:
    """Open the consent page, then press Allow access; answers the redirect's query parameters."""
    page = client.get(AUTHORIZE[provider] + "?" + urlencode(params))
    assert page.status_code == 200, page.content
    return redirect_params(form_post(client, AUTHORIZE[provider], {**params, "decision": "allow", **form}))


@dataclass
class Connected:
    provider: str
    access_token: str
    refresh_token: str | None
    answer: dict
    redirect: dict = field(default_factory=dict)
    tenants: list[str] = field(default_factory=list)

    @property
    def bearer(self) -> str:
        return f"Bearer {self.access_token}"


def token_post(client: Client, provider: str, form: dict, *, secret: str | None = "shh", client_id="dext-client"):
    headers = {"Authorization": basic(client_id, secret)} if secret is not None else {}
    if secret is None:
        form = {"client_id": client_id, **form}
    return form_post(client, TOKEN[provider], form, headers=headers)


def connect(client: Client, provider: str, *, orgs: int = 1, scope: str | None = None) -> Connected:
    """The whole authorization-code flow (with PKCE, except for QuickBooks which uses its secret)."""
    verifier, challenge = pkce_pair()
    use_pkce = provider != "quickbooks_online"
    params = authorize_params(
        provider,
        scope=scope or SCOPES[provider],
        code_challenge=challenge if use_pkce else None,
        code_challenge_method="S256" if use_pkce else None,
    )
    redirect = allow(client, provider, params, sandbox_orgs=str(orgs))
    form = {"grant_type": "authorization_code", "code": redirect["code"], "redirect_uri": REDIRECT_URI}
    if use_pkce:
        form["code_verifier"] = verifier
    response = token_post(client, provider, form, secret="shh" if not use_pkce else None)
    assert response.status_code == 200, response.content
    answer = response.json()
    connected = Connected(provider, answer["access_token"], answer.get("refresh_token"), answer, redirect)
    if provider == "xero":
        listing = client.get("/sandbox/xero/connections", headers={"Authorization": connected.bearer})
        connected.tenants = [c["tenantId"] for c in listing.json()]
    elif provider == "quickbooks_online":
        connected.tenants = [redirect["realmId"]]
    else:
        listing = client.get("/sandbox/approvalmax/api/v1/companies", headers={"Authorization": connected.bearer})
        connected.tenants = [c["companyId"] for c in listing.json()["payload"]]
    return connected


@pytest.fixture
def xero(client) -> Connected:
    return connect(client, "xero")


def xero_call(client: Client, connected: Connected, method: str, path: str, body=None, *, tenant=None, **headers):
    headers = {
        "Authorization": connected.bearer,
        "xero-tenant-id": tenant or connected.tenants[0],
        "Accept": "application/json",
        **headers,
    }
    kwargs = {"headers": {k: v for k, v in headers.items() if v is not None}}
    if body is not None:
        kwargs |= {"data": json.dumps(body), "content_type": "application/json"}
    return getattr(client, method.lower())(XERO_API + path, **kwargs)


def bill(contact_name="Acme Supplies", reference="item-1", **extra) -> dict:
    """A bill as the product sends it: linked to its item's page (``Url``; Xero keeps no ``Reference`` on bills)."""
    return {
        "Type": "ACCPAY",
        "Contact": {"Name": contact_name},
        "Date": "2030-01-05",
        "DueDate": "2030-02-04",
        "InvoiceNumber": "SUP-1001",
        **({"Url": f"https://app.example.com/b/1/items/{reference}/"} if reference else {}),
        "LineAmountTypes": "Exclusive",
        "LineItems": [
            {"Description": "Paper", "Quantity": 2, "UnitAmount": 10.5, "AccountCode": "461", "TaxType": "INPUT2"}
        ],
        "Status": "AUTHORISED",
        **extra,
    }
