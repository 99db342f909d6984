"""Bill.com."""

from integrations.providers.base import AuthKind, ItemKind, Provider


class BillCom(Provider):
    key = "bill_com"
    name = "Bill.com"
    kind = "additional"
    auth = AuthKind.CREDENTIALS
    item_kinds = (ItemKind.COST, ItemKind.EXPENSE_CLAIM)

    def client(self, connection):
        raise NotImplementedError("The Bill.com client arrives with publishing.")
