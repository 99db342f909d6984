"""R7: the audit log of connections, defaults, supplier rules and item integrations.

It lives in accounts, the lowest app that every writer may import (integrations and publishing write it;
accounts could audit memberships too); its table is still ``integrations_auditlogentry``.
"""

from accounts.models import AuditLogEntry, Business, User


def audit_record(
    *,
    business: Business,
    actor: User | None,
    action: str,
    object_type: str,
    object_id,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditLogEntry:
    return AuditLogEntry.objects.create(
        business=business,
        actor=actor if actor is not None and actor.is_authenticated else None,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        before=before,
        after=after,
    )


def audit_entries_for(*, business: Business):
    return AuditLogEntry.objects.for_business(business).select_related("actor").order_by("-id")
