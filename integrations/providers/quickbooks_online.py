"""QuickBooks Online."""

from integrations.providers.base import AuthKind, ItemKind, Provider


class QuickBooksOnline(Provider):
    key = "quickbooks_online"
    name = "QuickBooks Online"
    kind = "main"
    auth = AuthKind.OAUTH2
    item_kinds = (ItemKind.COST, ItemKind.EXPENSE_CLAIM, ItemKind.SALES)

    def client(self, connection):
        raise NotImplementedError("The QuickBooks Online client arrives with publishing.")
