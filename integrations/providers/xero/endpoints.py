"""Where Xero lives: its base URLs (each overridable from the environment; the sandbox stands in for them when
``SANDBOX_ENABLED``) and the environment names of the OAuth app registered with it."""

from integrations.providers.base import Endpoint, OAuthRegistration

LOGIN = Endpoint("XERO_LOGIN_BASE", real="https://login.xero.com", sandbox="/xero")
IDENTITY = Endpoint("XERO_IDENTITY_BASE", real="https://identity.xero.com", sandbox="/xero/identity")
API = Endpoint("XERO_API_BASE", real="https://api.xero.com", sandbox="/xero")
APP = Endpoint("XERO_APP_BASE", real="https://go.xero.com", sandbox="/xero/app")
ENDPOINTS = {"login": LOGIN, "identity": IDENTITY, "api": API, "app": APP}

OAUTH_REGISTRATION = OAuthRegistration(
    client_id_env="XERO_CLIENT_ID",
    client_secret_env="XERO_CLIENT_SECRET",
    sandbox_client_id="sandbox-xero-client",
    sandbox_client_secret="sandbox-xero-secret",
)

ACCOUNTING_PATH = "/api.xro/2.0"
# Attachments: up to 10 a document, 10 MB each (docs/provider-notes.md, Xero: raised from 3 MB in 2026).
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
