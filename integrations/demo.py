"""Demo connections, made through the real flows against the provider sandbox (in-process).

Acme Trading Ltd: Xero (main) and Bill.com (additional); default publishing integration Bill.com,
default expense claims integration Xero. Globex Corporation: QuickBooks Online. Hooli Stores Ltd: Xero, connected
by the practice. Initech: none.
"""

from accounts.models import Business, User
from integrations import services
from integrations.inprocess import press_allow_access, provider_http_in_process
from integrations.lists.models import ConnectionLists
from integrations.lists.services import lists_sync_inline
from integrations.models import Connection, ConnectionStatus
from integrations.providers.bill_com import BillCom
from integrations.providers.quickbooks_online import QuickBooksOnline
from integrations.providers.xero import Xero
from integrations.selectors import connections_live

SANDBOX_BILL_COM = {
    "username": "sandbox",
    "password": "sandbox",
    "organization_id": "sandbox-org",
    "dev_key": "sandbox-dev-key",
}


def _connected(business: Business, provider: str) -> Connection | None:
    return Connection.objects.for_business(business).filter(provider=provider, status=ConnectionStatus.ACTIVE).first()


def _oauth(business: Business, user: User, provider: str) -> Connection:
    existing = _connected(business, provider)
    if existing:
        return existing
    started = services.connection_start(business=business, provider_key=provider, credentials=None, actor=user)
    params = press_allow_access(started.authorize_url)
    outcome = services.oauth_callback(user=user, params=params)
    return outcome.connection


def sync_demo_lists() -> None:
    """Sync the lists of every demo connection that has none yet, here and now through the real engine against the
    sandbox (in-process), so that the Connections page shows the counts and the demo's items are coded from them
    (a worker would otherwise do it just after ``make run`` starts)."""
    with provider_http_in_process():
        for business in Business.objects.order_by("name"):
            for connection in connections_live(business=business):
                state = ConnectionLists.objects.for_business(business).filter(connection=connection).first()
                if state is None or state.synced_at is None:
                    lists_sync_inline(connection=connection)


def seed_connections() -> None:
    acme = Business.objects.get(name="Acme Trading Ltd")
    globex = Business.objects.get(name="Globex Corporation")
    acme_admin = User.objects.get(email="admin@acme.test")
    globex_admin = User.objects.get(email="admin@globex.test")
    with provider_http_in_process():
        xero = _oauth(acme, acme_admin, Xero.key)
        bill_com = (
            _connected(acme, BillCom.key)
            or services.connection_start(
                business=acme, provider_key=BillCom.key, credentials=SANDBOX_BILL_COM, actor=acme_admin
            ).connection
        )
        services.publishing_defaults_set(
            business=acme,
            actor=acme_admin,
            default_publishing_connection=bill_com.id,
            default_expense_claims_connection=xero.id,
        )
        _oauth(globex, globex_admin, QuickBooksOnline.key)
        # Hooli Stores Ltd's books are kept by the practice alone: its Practice Admin connected Xero.
        hooli = Business.objects.filter(name="Hooli Stores Ltd").first()
        if hooli is not None:
            _oauth(hooli, User.objects.get(email="practice.admin@northwind.test"), Xero.key)
