"""Where ApprovalMax lives: its base URLs (each overridable from the environment; the sandbox stands in for them
when ``SANDBOX_ENABLED``) and the environment names of the OAuth app registered with it."""

from integrations.providers.base import Endpoint, OAuthRegistration

IDENTITY = Endpoint("APPROVALMAX_IDENTITY_BASE", real="https://identity.approvalmax.com", sandbox="/approvalmax")
API = Endpoint("APPROVALMAX_API_BASE", real="https://public-api.approvalmax.com", sandbox="/approvalmax")
APP = Endpoint("APPROVALMAX_APP_BASE", real="https://app.approvalmax.com", sandbox="/approvalmax/app")
ENDPOINTS = {"identity": IDENTITY, "api": API, "app": APP}

OAUTH_REGISTRATION = OAuthRegistration(
    client_id_env="APPROVALMAX_CLIENT_ID",
    client_secret_env="APPROVALMAX_CLIENT_SECRET",
    sandbox_client_id="sandbox-approvalmax-client",
    sandbox_client_secret="sandbox-approvalmax-secret",
)
