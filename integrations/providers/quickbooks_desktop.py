"""QuickBooks Desktop."""

from integrations.providers.base import AuthKind, ItemKind, Provider


class QuickBooksDesktop(Provider):
    key = "quickbooks_desktop"
    name = "QuickBooks Desktop"
    kind = "main"
    auth = AuthKind.WEB_CONNECTOR
    item_kinds = (ItemKind.COST, ItemKind.SALES)

    def client(self, connection):
        raise NotImplementedError("The QuickBooks Desktop client arrives with publishing.")
