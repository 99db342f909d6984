from integrations.demo import seed_connections
from integrations.models import Connection, PublishingDefaults
from integrations.sandbox.models import Token


def test_demo_connections_are_real_sandbox_grants(db, settings):
    from accounts.demo import seed_accounts

    settings.SITE_URL = "http://127.0.0.1:8000"
    seed_accounts()
    seed_connections()
    seed_connections()  # idempotent
    acme = {c.provider: c for c in Connection.objects.unscoped().filter(business__name="Acme Trading Ltd")}
    assert set(acme) == {"xero", "bill_com"}
    defaults = PublishingDefaults.objects.unscoped().get(business__name="Acme Trading Ltd")
    assert defaults.default_publishing_connection_id == acme["bill_com"].id
    assert defaults.default_expense_claims_connection_id == acme["xero"].id
    globex = (
        Connection.objects.unscoped().filter(business__name="Globex Corporation").values_list("provider", flat=True)
    )
    assert list(globex) == ["quickbooks_online"]
    assert not Connection.objects.unscoped().filter(business__name="Initech").exists()
    stored = acme["xero"].credentials["access_token"]
    assert Token.objects.filter(value=stored).exists(), "the Xero tokens must come from the sandbox"
