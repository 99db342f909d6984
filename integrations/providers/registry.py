"""The explicit provider registry: the one list of providers. Adding one (Sage, FreeAgent) is one package under
``integrations/providers/`` and one line below."""

from collections.abc import Iterable

from integrations.providers.approvalmax import ApprovalMax
from integrations.providers.base import Provider
from integrations.providers.bill_com import BillCom
from integrations.providers.quickbooks_desktop import QuickBooksDesktop
from integrations.providers.quickbooks_online import QuickBooksOnline
from integrations.providers.xero import Xero

_PROVIDERS: dict[str, Provider] = {
    p.key: p
    for p in (
        Xero(),
        QuickBooksOnline(),
        QuickBooksDesktop(),
        BillCom(),
        ApprovalMax(),
    )
}


class UnknownProvider(KeyError):
    pass


def get(key: str) -> Provider:
    try:
        return _PROVIDERS[key]
    except KeyError:
        raise UnknownProvider(key) from None


def get_or_none(key: str) -> Provider | None:
    return _PROVIDERS.get(key)


def all_providers() -> list[Provider]:
    return list(_PROVIDERS.values())


def main_providers() -> list[Provider]:
    return [p for p in _PROVIDERS.values() if p.kind == "main"]


def additional_providers() -> list[Provider]:
    return [p for p in _PROVIDERS.values() if p.kind == "additional"]


def pull_labels(connections: Iterable) -> dict:
    """Connection id → what a queued item of it says while it waits for the provider's software to fetch it
    (``Provider.pull_label``), for the connections of pull-delivery providers."""
    labels = {}
    for connection in connections:
        provider = _PROVIDERS.get(connection.provider)
        if provider is not None and provider.waits_for_pull:
            labels[connection.id] = provider.pull_label
    return labels
