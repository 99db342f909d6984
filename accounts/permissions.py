"""The permission policy: "may this user do X in this business?", answered in one place.

Every page and API endpoint asks :func:`can` (or :func:`require`) with the :class:`Access` that
tenant resolution produced for the signed-in user. Nothing here is cached across requests, so a
changed membership takes effect on the next request.
"""

from dataclasses import dataclass
from enum import StrEnum

from accounts.models import Business, BusinessRole, PracticeRole
from dext_connections.errors import NotAllowed


class Via(StrEnum):
    MEMBER = "member"
    PRACTICE = "practice"


class Action(StrEnum):
    VIEW = "view"
    MANAGE_CONNECTIONS = "manage_connections"
    EDIT_SUPPLIER_RULES = "edit_supplier_rules"
    PUBLISH = "publish"
    EDIT_ITEM_INTEGRATION = "edit_item_integration"
    EDIT_ITEMS = "edit_items"
    VIEW_AUDIT_LOG = "view_audit_log"


@dataclass(frozen=True)
class Access:
    """What one user may reach in one business, and how."""

    business: Business
    via: Via
    role: str  # a BusinessRole for members, a PracticeRole for practice users
    can_publish_flag: bool = False
    practice_name: str | None = None

    @property
    def is_admin(self) -> bool:
        """Admin users of the business, and practice users (who act as an Admin of the client)."""
        if self.via is Via.PRACTICE:
            return True
        return self.role in (BusinessRole.BUSINESS_ADMIN, BusinessRole.USER_ADMIN)

    @property
    def role_label(self) -> str:
        if self.via is Via.PRACTICE:
            return f"{PracticeRole(self.role).label}, {self.practice_name}"
        return BusinessRole(self.role).label


_ADMIN_ONLY = {Action.MANAGE_CONNECTIONS, Action.EDIT_SUPPLIER_RULES, Action.VIEW_AUDIT_LOG}
_PUBLISHERS = {Action.PUBLISH, Action.EDIT_ITEM_INTEGRATION}


def can(access: Access, action: Action) -> bool:
    if action is Action.VIEW or action is Action.EDIT_ITEMS:
        return True
    if action in _ADMIN_ONLY:
        return access.is_admin
    if action in _PUBLISHERS:
        return access.is_admin or access.can_publish_flag
    raise ValueError(f"The policy does not know the action {action!r}.")


_REFUSALS = {
    Action.MANAGE_CONNECTIONS: "Only admin users and the business's practice can manage connections.",
    Action.EDIT_SUPPLIER_RULES: "Only admin users and the business's practice can edit supplier rules.",
    Action.VIEW_AUDIT_LOG: "Only admin users and the business's practice can read the audit log.",
    Action.PUBLISH: "Your role does not allow publishing in this business.",
    Action.EDIT_ITEM_INTEGRATION: "Changing an item's integration needs the right to publish.",
}


def require(access: Access, action: Action) -> None:
    if not can(access, action):
        raise NotAllowed(_REFUSALS.get(action, "Your role does not allow this."))
