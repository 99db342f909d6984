"""Each provider package declares its base URLs and OAuth registration; integrations resolves them in one place:
an environment variable over the sandbox (when it is on) over the real service."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from dext_connections.middleware import content_security_policy
from integrations import http
from integrations.providers import registry
from integrations.providers.xero.endpoints import API, LOGIN


def form_action(path="/") -> list[str]:
    policy = dict(part.split(" ", 1) for part in content_security_policy(path).split("; "))
    return policy["form-action"].split()


def test_the_sandbox_stands_in_when_it_is_on_and_the_real_service_when_it_is_off(settings):
    settings.SITE_URL = "http://127.0.0.1:8765"
    settings.SANDBOX_ENABLED = True
    assert http.url(API, "/connections") == "http://127.0.0.1:8765/sandbox/xero/connections"
    settings.SANDBOX_ENABLED = False
    assert http.url(API, "/connections") == "https://api.xero.com/connections"


@pytest.mark.parametrize("sandbox", [True, False])
def test_the_environment_overrides_both(settings, monkeypatch, sandbox):
    settings.SANDBOX_ENABLED = sandbox
    monkeypatch.setenv(API.env_var, "https://xero.example.test/")
    assert http.url(API, "/connections") == "https://xero.example.test/connections"


def test_every_provider_declares_its_endpoints_under_names_of_its_own():
    names = [e.env_var for p in registry.all_providers() for e in p.endpoints.values()]
    assert len(names) == len(set(names)), "two endpoints share an environment variable"
    for provider in registry.all_providers():
        for endpoint in provider.endpoints.values():
            assert endpoint.real.startswith("https://") and endpoint.sandbox.startswith(f"/{provider.key}")


def test_oauth_registrations_come_from_the_environment_with_sandbox_clients_outside_production(monkeypatch):
    xero = registry.get("xero")
    monkeypatch.delenv("XERO_CLIENT_ID", raising=False)
    monkeypatch.delenv("XERO_CLIENT_SECRET", raising=False)
    assert xero.client_registration() == {"client_id": "sandbox-xero-client", "client_secret": "sandbox-xero-secret"}
    monkeypatch.setenv("XERO_CLIENT_ID", "our-xero-app")
    assert xero.client_registration()["client_id"] == "our-xero-app"


def test_production_has_no_default_oauth_registration(settings, monkeypatch):
    settings.IS_PRODUCTION = True
    monkeypatch.setenv("DJANGO_ENV", "production")
    monkeypatch.delenv("QBO_CLIENT_SECRET", raising=False)
    monkeypatch.setenv("QBO_CLIENT_ID", "qbo-app")
    with pytest.raises(ImproperlyConfigured, match="QBO_CLIENT_SECRET is not set. Production signs in to QuickBooks"):
        registry.get("quickbooks_online").client_registration()


def test_forms_may_go_to_the_real_authorize_pages_and_not_elsewhere(settings):
    settings.SANDBOX_ENABLED = False
    origins = {"https://login.xero.com", "https://appcenter.intuit.com", "https://identity.approvalmax.com"}
    assert set(form_action()) == {"'self'", *origins}


def test_the_sandboxs_authorize_pages_are_this_sites_own(settings, monkeypatch):
    settings.SANDBOX_ENABLED = True
    assert form_action() == ["'self'"]
    monkeypatch.setenv(LOGIN.env_var, "https://login.xero.com")
    assert form_action() == ["'self'", "https://login.xero.com"]
