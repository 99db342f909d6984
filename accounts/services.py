"""Writes for accounts and tenancy."""

from django.db import transaction
from django.utils import timezone

from accounts.models import (
    ApiToken,
    Business,
    BusinessMembership,
    BusinessRole,
    ClientAssignment,
    Practice,
    PracticeMembership,
    PracticeRole,
    User,
)


@transaction.atomic
def business_create(*, name: str, owner: User, practice: Practice | None = None) -> Business:
    """Create a business with ``owner`` as its Business Admin."""
    business = Business.objects.create(name=name.strip(), practice=practice)
    BusinessMembership.objects.create(user=owner, business=business, role=BusinessRole.BUSINESS_ADMIN, can_publish=True)
    return business


def business_member_add(*, business: Business, user: User, role: str, can_publish: bool = False) -> BusinessMembership:
    membership, _ = BusinessMembership.objects.update_or_create(
        business=business, user=user, defaults={"role": BusinessRole(role), "can_publish": can_publish}
    )
    return membership


def practice_member_add(*, practice: Practice, user: User, role: str) -> PracticeMembership:
    membership, _ = PracticeMembership.objects.update_or_create(
        practice=practice, user=user, defaults={"role": PracticeRole(role)}
    )
    return membership


def practice_client_assign(*, membership: PracticeMembership, business: Business) -> ClientAssignment:
    if business.practice_id != membership.practice_id:
        raise ValueError(f"{business} is not a client of {membership.practice}.")
    assignment, _ = ClientAssignment.objects.get_or_create(membership=membership, business=business)
    return assignment


def api_token_create(*, user: User) -> tuple[ApiToken, str]:
    """A new token; the key is returned this once and only its digest is stored."""
    key = ApiToken.new_key()
    token = ApiToken.objects.create(user=user, key_digest=ApiToken.digest(key), prefix=key[:8])
    return token, key


def api_token_touch(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
