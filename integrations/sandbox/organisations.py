"""The organisations each provider's sandbox offers on its consent page, created on first use with
stable ids (the same after ``POST /sandbox/reset/``), so a connection made in a demo survives a reset."""

import uuid

from integrations.sandbox import clock
from integrations.sandbox.models import Organisation, Provider

_NAMESPACE = uuid.UUID("5d6c2b7e-0c4b-4f0e-9b8e-2f1a7c3d9e10")

# provider → [(name, currency)]; the first one is granted by default.
SEEDS: dict[str, list[tuple[str, str]]] = {
    Provider.XERO: [("Sandbox Trading Co", "GBP"), ("Sandbox Holdings Ltd", "GBP")],
    # QuickBooks Online: two US companies and a UK one (VAT); the country follows the currency.
    Provider.QUICKBOOKS_ONLINE: [
        ("Sandbox Trading Co", "USD"),
        ("Sandbox Holdings Inc", "USD"),
        ("Sandbox Trading Ltd", "GBP"),
    ],
    Provider.APPROVALMAX: [("Sandbox Trading Co", "GBP"), ("Sandbox Holdings Ltd", "GBP")],
    Provider.BILL_COM: [("Sandbox Trading Co", "USD"), ("Sandbox Holdings Inc", "USD")],
}

BILL_COM_ORGANISATION_ID = "sandbox-org"


def _external_id(provider: str, position: int) -> str:
    if provider == Provider.BILL_COM:
        return BILL_COM_ORGANISATION_ID if position == 0 else f"{BILL_COM_ORGANISATION_ID}-{position + 1}"
    stable = uuid.uuid5(_NAMESPACE, f"{provider}:{position}")
    if provider == Provider.QUICKBOOKS_ONLINE:  # realm ids are long numbers
        return str(9_130_000_000_000_000 + stable.int % 10**15)
    return str(stable)


def organisations_for(provider: str) -> list[Organisation]:
    seeds = SEEDS.get(provider, [])
    existing = {o.position: o for o in Organisation.objects.filter(provider=provider)}
    if len(existing) < len(seeds):
        Organisation.objects.bulk_create(
            [
                Organisation(
                    provider=provider,
                    external_id=_external_id(provider, position),
                    name=name,
                    currency=currency,
                    position=position,
                    created_at=clock.now(),
                )
                for position, (name, currency) in enumerate(seeds)
                if position not in existing
            ],
            ignore_conflicts=True,
        )
        return list(Organisation.objects.filter(provider=provider))
    return sorted(existing.values(), key=lambda o: o.position)


def organisation_get(provider: str, external_id: str) -> Organisation | None:
    organisations_for(provider)
    return Organisation.objects.filter(provider=provider, external_id=external_id).first()
