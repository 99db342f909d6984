"""ApprovalMax: bills reach its approval workflow through the business's main ledger, not its own API.

ApprovalMax's Public API publishes read operations only (companies and their requests); no endpoint to create or
submit a bill request could be confirmed in its published reference (see docs/provider-notes.md, ApprovalMax). Its
documented route for Xero is to pull bills that are *awaiting approval* (``SUBMITTED``) from the connected Xero
organisation into its workflow. So a bill for ApprovalMax is created in the business's main connection, as
that ledger's own client makes it, in the status a bill awaiting approval has there, coded from that ledger's lists
(``lists_from_main``). A main ledger without such a route (QuickBooks Online's bills bypass ApprovalMax's workflow)
refuses the document with a sentence saying so.

The document is found again, after a lost answer, by the main ledger client's own look-up (for Xero: the supplier's
bills matched by the link to our item), never by taking the first row of an unfiltered list.
"""

from __future__ import annotations

from integrations.models import LIVE_STATUSES, Connection, ConnectionStatus, ProviderKind
from integrations.providers.base import AuthError, ExternalRef, ValidationError
from integrations.providers.document import PublishDocument
from integrations.providers.http_client import OAuthProviderClient, Outcome


class ApprovalMaxClient(OAuthProviderClient):
    provider_name = "ApprovalMax"

    def main_client(self):
        """The business's main ledger's client, set to create bills awaiting approval; ValidationError when there is
        no main ledger ApprovalMax pulls bills from."""
        from integrations.providers import registry

        main = (
            Connection.objects.for_business(self.connection.business_id)
            .filter(kind=ProviderKind.MAIN, status__in=LIVE_STATUSES)
            .first()
        )
        provider = registry.get_or_none(main.provider) if main is not None else None
        if provider is None or not provider.approval_route:
            raise ValidationError(
                "ApprovalMax takes bills from the business's Xero organisation: connect Xero (the organisation "
                "ApprovalMax is connected to) as the main integration, then publish again."
            )
        if main.status != ConnectionStatus.ACTIVE:
            raise AuthError(f"{main.name} needs to be reconnected before bills can go to ApprovalMax.")
        client = provider.client(main)
        client.bill_status = provider.approval_route
        return client

    def publish(self, doc: PublishDocument) -> ExternalRef:
        return self.main_client().publish(doc)

    def attach(self, doc: PublishDocument, ref: ExternalRef) -> None:
        """The bill's attachment, uploaded to the main ledger's bill once its id is saved, by that ledger's client."""
        self.main_client().attach(doc, ref)

    def publish_many(self, docs: list[PublishDocument]) -> list[Outcome]:
        try:
            client = self.main_client()
        except (ValidationError, AuthError) as exc:
            return [exc] * len(docs)
        return client.publish_many(docs)
