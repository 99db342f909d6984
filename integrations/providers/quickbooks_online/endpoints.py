"""Where QuickBooks Online lives: its base URLs (each overridable from the environment; the sandbox stands in for
them when ``SANDBOX_ENABLED``), the environment names of the OAuth app registered with Intuit, and the API's
constants."""

from integrations.providers.base import Endpoint, OAuthRegistration

APPCENTER = Endpoint("QBO_APPCENTER_BASE", real="https://appcenter.intuit.com", sandbox="/quickbooks_online")
OAUTH = Endpoint("QBO_OAUTH_BASE", real="https://oauth.platform.intuit.com", sandbox="/quickbooks_online")
REVOKE = Endpoint("QBO_REVOKE_BASE", real="https://developer.api.intuit.com", sandbox="/quickbooks_online")
API = Endpoint("QBO_API_BASE", real="https://quickbooks.api.intuit.com", sandbox="/quickbooks_online")
APP = Endpoint("QBO_APP_BASE", real="https://app.qbo.intuit.com", sandbox="/quickbooks_online/app")
ENDPOINTS = {"appcenter": APPCENTER, "oauth": OAUTH, "revoke": REVOKE, "api": API, "app": APP}

OAUTH_REGISTRATION = OAuthRegistration(
    client_id_env="QBO_CLIENT_ID",
    client_secret_env="QBO_CLIENT_SECRET",
    sandbox_client_id="sandbox-qbo-client",
    sandbox_client_secret="sandbox-qbo-secret",
)

MINOR_VERSION = "75"
# Intuit's batch page says 10 operations a request, its limits page 30: stay at 10 (docs/provider-notes.md).
BATCH_REQUEST_SIZE = 10
BATCH_REQUESTS_PER_MINUTE = 40
# A query answers 1,000 rows at most; change data capture 1,000 objects and 30 days back.
QUERY_PAGE_SIZE = 1000
CDC_MAX_OBJECTS = 1000
CDC_MAX_DAYS = 30
# The upload endpoint takes 100 MB a request (files and their metadata).
MAX_ATTACHMENT_BYTES = 100 * 1000 * 1000
# The app's pages of each document (Purchase is an "expense" in the app).
APP_PAGES = {"Bill": "bill", "Purchase": "expense", "Invoice": "invoice"}
