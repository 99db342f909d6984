"""QuickBooks Desktop through the QuickBooks Web Connector (a ``.qwc`` file, qbXML over SOAP)."""

from integrations.providers.base import AuthKind, ConnectResult, Delivery, ItemKind, Provider
from integrations.providers.quickbooks_desktop.client import QuickBooksDesktopClient
from integrations.providers.quickbooks_desktop.lists import PASSES
from integrations.qbwc.credentials import generate_web_connector_credentials


class QuickBooksDesktop(Provider):
    key = "quickbooks_desktop"
    name = "QuickBooks Desktop"
    kind = "main"
    auth = AuthKind.WEB_CONNECTOR
    item_kinds = (ItemKind.COST, ItemKind.SALES)
    sales_category_list = "products"  # an invoice line names an item (a product or service), never an account
    supports_auto_publish = False  # the customer's PC must be on: publishing waits for its Web Connector
    delivery = Delivery.PULL
    keeps_attachments = False  # qbXML has no request to attach a file: the file stays with the item here
    pull_label = "Waiting for QuickBooks Desktop"
    publish_as_choices = (("bill", "Bill"), ("credit_card_charge", "Credit card charge"), ("check", "Cheque"))
    # Accounts (and the bank and credit card ones a cheque or charge is paid from), sales tax codes and items,
    # vendors and customers, products and services, classes: read through the Web Connector's queries, so the sync
    # waits for it to poll (see list_work.py) and there is no list source to call.
    list_passes = PASSES
    connection_note = (
        "Documents and list updates go when the Web Connector on your PC next runs, with QuickBooks open. "
        "QuickBooks Desktop takes no attachments: documents are published without their image."
    )

    def connect_web_connector(self, *, business_name: str) -> ConnectResult:
        generated = generate_web_connector_credentials(business_name=business_name)
        stored = {k: v for k, v in generated.items() if k != "password"}
        return ConnectResult(
            organisation_name=f"{business_name} (QuickBooks Desktop)",
            external_tenant_id=generated["username"],
            credentials=stored,
            extra={"username": generated["username"], "password": generated["password"]},
        )

    def client(self, connection):
        return QuickBooksDesktopClient(connection)

    def pull_client(self, connection) -> QuickBooksDesktopClient:
        return QuickBooksDesktopClient(connection)

    def list_source(self, connection):
        """None: QuickBooks cannot be called; its Web Connector fetches the list queries (list_work.py)."""
        return None
