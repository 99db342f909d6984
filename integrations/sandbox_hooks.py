"""Lets the provider sandbox list what a pull-delivery provider received (QuickBooks Desktop's Web Connector is
not HTTP we call, so the sandbox cannot see it on the wire)."""

from decimal import Decimal

from django.conf import settings


def record_pulled_document(
    provider_key: str, *, external_id: str, reference: str, type: str, total: Decimal | str | None
) -> None:
    if not settings.SANDBOX_ENABLED or "integrations.sandbox" not in settings.INSTALLED_APPS:
        return
    from integrations.sandbox.services import record_document

    record_document(provider_key, external_id=external_id, reference=reference, type=type, total=total)
