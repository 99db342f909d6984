"""The publishing defaults changed: re-point the items whose integration came from a default."""

from __future__ import annotations

from accounts.models import Business, User
from publishing.models import IntegrationSource
from publishing.resolution import items_reresolve


def items_repoint_defaults(*, business: Business, defaults, actor: User | None) -> int:
    """A default changed: re-point the unpublished items whose integration came from a default."""
    return items_reresolve(
        business=business,
        where="i.integration_source = ANY(%(from_defaults)s)",
        params={"from_defaults": [IntegrationSource.DEFAULT.value, IntegrationSource.MAIN.value]},
        actor=actor,
        reason="Default integration changed",
    )
