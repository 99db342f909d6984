"""Lets the provider sandbox list what QuickBooks Desktop received (the Web Connector is not HTTP we call)."""

from django.conf import settings


def record_quickbooks_desktop_document(*, job, txn_id: str) -> None:
    if not settings.SANDBOX_ENABLED or "integrations.sandbox" not in settings.INSTALLED_APPS:
        return
    from integrations.sandbox.services import record_document

    item = job.item
    record_document(
        "quickbooks_desktop",
        external_id=txn_id,
        reference=str(item.pk),
        type="InvoiceAdd" if item.kind == "sales" else "BillAdd",
        total=str(item.total),
    )
