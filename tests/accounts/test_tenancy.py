import pytest

from accounts.tenancy import TenantScopeError
from integrations.models import Connection, ProviderKind


def test_tenant_manager_fails_closed_without_a_business(world):
    with pytest.raises(TenantScopeError):
        list(Connection.objects.all())
    with pytest.raises(TenantScopeError):
        Connection.objects.filter(provider="xero")
    with pytest.raises(TenantScopeError):
        Connection.objects.for_business(None)
    with pytest.raises(TenantScopeError):
        Connection.objects.create(provider="xero", kind=ProviderKind.MAIN)


def test_for_business_sees_only_that_tenant(world):
    mine = Connection.objects.create(business=world.a, provider="xero", kind=ProviderKind.MAIN)
    theirs = Connection.objects.create(business=world.b, provider="xero", kind=ProviderKind.MAIN)
    visible = set(Connection.objects.for_business(world.a).values_list("id", flat=True))
    assert mine.id in visible
    assert theirs.id not in visible, "business B's connection leaked into A"
    assert {mine.id, theirs.id} <= set(Connection.objects.unscoped().values_list("id", flat=True))
