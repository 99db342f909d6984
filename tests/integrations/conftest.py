import pytest

from integrations import services
from integrations.providers import registry
from integrations.providers.base import ConnectResult


@pytest.fixture
def connect():
    """Make a connection through the real service, as if the provider had accepted the authorisation."""

    def make(business, provider_key, *, user=None, organisation="Sandbox Org"):
        provider = registry.get(provider_key)
        result = ConnectResult(
            organisation_name=organisation,
            external_tenant_id=f"{provider_key}-tenant",
            credentials={"access_token": "at", "refresh_token": "rt", "expires_at": 4102444800},
        )
        return services._connection_create(business=business, provider=provider, result=result, actor=user)

    return make
