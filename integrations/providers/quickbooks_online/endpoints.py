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
BATCH_REQUEST_SIZE = 10  # "up to 10 payloads with a single batch operation"
DEFAULT_SALES_ITEM = "1"  # "Services" in every new QuickBooks Online company
DEFAULT_PAYMENT_ACCOUNT = "35"  # "Checking" in the QuickBooks sample company
