"""Writes for accounts and tenancy."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
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
from accounts.throttling import signin_failure_record, signin_success_record, signin_throttle_check
from dext_connections.errors import ApplicationError, NotFound
from dext_connections.throttle import client_address


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


def user_sign_in_with_password(*, request: HttpRequest, email: str, password: str) -> User:
    """The active user with this email and password, through the sign-in throttle.

    Raises ``Throttled`` (429) while the email or the client address is locked out, without checking the
    password; ``invalid_credentials`` (400) for a wrong email or password, which counts as a failure.
    """
    address = client_address(request)
    signin_throttle_check(email=email, address=address)
    user = authenticate(request, email=email, password=password)
    if user is None or not user.is_active:
        signin_failure_record(email=email, address=address)
        raise ApplicationError("invalid_credentials", "The email address or password is not right.")
    signin_success_record(email=email)
    return user


@transaction.atomic
def api_token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new token; the key is returned this once and only its digest is stored.

    It expires ``API_TOKEN_TTL_SECONDS`` from now (never when 0) and dies with the user's password. The
    user's tokens that are already dead (expired, or issued under an earlier password) are deleted.
    """
    now = timezone.now()
    api_tokens_prune(user=user, now=now)
    ttl = settings.API_TOKEN_TTL_SECONDS
    key = ApiToken.new_key()
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        key_digest=ApiToken.digest(key),
        prefix=key[:8],
        password_fingerprint=ApiToken.password_fingerprints(user.password)[0],
        expires_at=now + timedelta(seconds=ttl) if ttl > 0 else None,
    )
    return token, key


def api_token_revoke(*, user: User, token_id) -> None:
    """Delete one of ``user``'s own tokens; anybody else's, or an unknown id, is ``not_found``."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    if not deleted:
        raise NotFound()


def api_tokens_prune(*, user: User, now=None) -> int:
    """Delete ``user``'s tokens that can no longer authenticate; returns how many."""
    now = now or timezone.now()
    live = ApiToken.password_fingerprints(user.password)
    dead = ApiToken.objects.filter(user=user).filter(Q(expires_at__lte=now) | ~Q(password_fingerprint__in=live))
    deleted, _ = dead.delete()
    return deleted


def api_token_delete(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk).delete()


def api_token_touch(*, token: ApiToken, every: timedelta = timedelta(minutes=1)) -> None:
    """Record that the token was used, at most once per ``every`` (not a write per request)."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= every:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
