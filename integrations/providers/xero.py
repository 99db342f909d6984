"""Xero."""

from integrations.providers.base import AuthKind, ItemKind, Provider


class Xero(Provider):
    key = "xero"
    name = "Xero"
    kind = "main"
    auth = AuthKind.OAUTH2
    item_kinds = (ItemKind.COST, ItemKind.EXPENSE_CLAIM, ItemKind.SALES)

    def client(self, connection):
        raise NotImplementedError("The Xero client arrives with publishing.")
