"""The role × action matrix of DESIGN.md §2, one row per role, every action."""

import pytest

from accounts.permissions import Action, Via, can
from accounts.selectors import business_access_for

V, MC, SR, P, EI, AL = (
    Action.VIEW,
    Action.MANAGE_CONNECTIONS,
    Action.EDIT_SUPPLIER_RULES,
    Action.PUBLISH,
    Action.EDIT_ITEM_INTEGRATION,
    Action.VIEW_AUDIT_LOG,
)

# role in business A → the actions it may take there
MATRIX = {
    "business_admin": {V, MC, SR, P, EI, AL},
    "user_admin": {V, MC, SR, P, EI, AL},  # Admin users may publish without the Standard flag
    "standard_publisher": {V, P, EI},
    "standard": {V},
    "practice_practice_admin": {V, MC, SR, P, EI, AL},
    "practice_client_admin": {V, MC, SR, P, EI, AL},
    "practice_standard": {V, MC, SR, P, EI, AL},  # assigned to A: acts as an Admin there
}


@pytest.mark.parametrize("role", MATRIX)
@pytest.mark.parametrize("action", [V, MC, SR, P, EI, AL])
def test_role_action_matrix(world, role, action):
    access = business_access_for(user=world.users[role], business_id=world.a.id)
    assert access is not None, f"{role} should reach business A"
    assert can(access, action) is (action in MATRIX[role]), f"{role} × {action}"


def test_standard_without_the_flag_cannot_publish_but_admins_can(world):
    standard = business_access_for(user=world.users["standard"], business_id=world.a.id)
    user_admin = business_access_for(user=world.users["user_admin"], business_id=world.a.id)
    assert not standard.can_publish_flag and not can(standard, Action.PUBLISH)
    assert user_admin.is_admin and not user_admin.can_publish_flag and can(user_admin, Action.PUBLISH)


@pytest.mark.parametrize("role", ["business_admin", "standard", "practice_practice_admin"])
def test_nobody_reaches_a_business_they_have_no_route_to(world, role):
    assert business_access_for(user=world.users[role], business_id=world.b.id) is None, f"{role} leaked into B"


def test_practice_standard_reaches_only_assigned_clients(world):
    user = world.users["practice_standard"]
    assert business_access_for(user=user, business_id=world.a.id).via is Via.PRACTICE
    assert business_access_for(user=user, business_id=world.client_c.id) is None, "unassigned client leaked"


@pytest.mark.parametrize("role", ["practice_practice_admin", "practice_client_admin"])
def test_practice_and_client_admins_reach_every_client(world, role):
    assert business_access_for(user=world.users[role], business_id=world.client_c.id) is not None


def test_membership_change_takes_effect_at_once(world):
    user = world.users["standard"]
    membership = user.business_memberships.get(business=world.a)
    assert not can(business_access_for(user=user, business_id=world.a.id), Action.PUBLISH)
    membership.can_publish = True
    membership.save()
    assert can(business_access_for(user=user, business_id=world.a.id), Action.PUBLISH)
    membership.delete()
    assert business_access_for(user=user, business_id=world.a.id) is None


def test_unknown_or_malformed_business_id_is_no_access(world):
    assert business_access_for(user=world.users["business_admin"], business_id="not-a-uuid") is None
