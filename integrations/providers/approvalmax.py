"""ApprovalMax."""

from integrations.providers.base import AuthKind, ItemKind, Provider


class ApprovalMax(Provider):
    key = "approvalmax"
    name = "ApprovalMax"
    kind = "additional"
    auth = AuthKind.OAUTH2
    item_kinds = (ItemKind.COST, ItemKind.EXPENSE_CLAIM)

    def client(self, connection):
        raise NotImplementedError("The ApprovalMax client arrives with publishing.")
