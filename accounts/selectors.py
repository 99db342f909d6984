"""Reads about who can reach which business."""

import uuid

from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet, Value
from django.utils import timezone

from accounts.models import (
    ApiToken,
    Business,
    BusinessMembership,
    ClientAssignment,
    PracticeMembership,
    PracticeRole,
    User,
)
from accounts.permissions import Access, Via

# The order in which a user's several routes into a business are preferred.
_STRENGTH = {"business_admin": 3, "user_admin": 3, "practice_admin": 2, "client_admin": 2, "standard": 1}


def _practice_access(membership: PracticeMembership, business: Business) -> Access:
    return Access(business=business, via=Via.PRACTICE, role=membership.role, practice_name=membership.practice.name)


def _member_access(membership: BusinessMembership) -> Access:
    return Access(
        business=membership.business,
        via=Via.MEMBER,
        role=membership.role,
        can_publish_flag=membership.can_publish,
    )


def _stronger(a: Access | None, b: Access) -> Access:
    if a is None:
        return b
    score = lambda x: (x.is_admin, x.can_publish_flag, _STRENGTH.get(x.role, 0), x.via is Via.MEMBER)  # noqa: E731
    return b if score(b) > score(a) else a


def business_access_for(*, user: User, business_id) -> Access | None:
    """The access ``user`` has to one business, or None when it cannot reach it (or it does not exist)."""
    if not user.is_authenticated:
        return None
    try:
        business_id = uuid.UUID(str(business_id))
    except ValueError:
        return None
    best: Access | None = None
    for m in BusinessMembership.objects.select_related("business").filter(user=user, business_id=business_id):
        best = _stronger(best, _member_access(m))
    practice_memberships = PracticeMembership.objects.select_related("practice").filter(
        user=user, practice__clients__id=business_id
    )
    for pm in practice_memberships:
        if not pm.reaches_every_client and not pm.assignments.filter(business_id=business_id).exists():
            continue
        business = Business.objects.get(pk=business_id)
        best = _stronger(best, _practice_access(pm, business))
    return best


def businesses_for_user(*, user: User) -> list[Access]:
    """Every business the user can reach, by membership or through a practice, by name."""
    found: dict[uuid.UUID, Access] = {}
    for m in BusinessMembership.objects.select_related("business").filter(user=user):
        found[m.business_id] = _stronger(found.get(m.business_id), _member_access(m))
    for pm in PracticeMembership.objects.select_related("practice").filter(user=user):
        clients = Business.objects.filter(practice=pm.practice)
        if not pm.reaches_every_client:
            clients = clients.filter(practice_assignments__membership=pm)
        for business in clients:
            found[business.pk] = _stronger(found.get(business.pk), _practice_access(pm, business))
    return sorted(found.values(), key=lambda a: a.business.name.lower())


def practices_for_user(*, user: User) -> list[PracticeMembership]:
    return list(PracticeMembership.objects.select_related("practice").filter(user=user))


def practice_clients_for_user(*, user: User) -> list[Access]:
    """The clients a practice user reaches through their practice (for the client switcher)."""
    return [a for a in businesses_for_user(user=user) if a.via is Via.PRACTICE]


def is_practice_user(*, user: User) -> bool:
    return user.is_authenticated and PracticeMembership.objects.filter(user=user).exists()


def practice_clients_reached(*, user: User) -> QuerySet[Business]:
    """The clients ``user`` reaches through a practice, as one queryset (to page through at any size): every client
    of a practice where they are a Practice Admin or Client Admin, and the assigned clients of a practice where they
    are Standard; the same reach as :func:`business_access_for`."""
    every = PracticeMembership.objects.filter(
        user=user, role__in=(PracticeRole.PRACTICE_ADMIN, PracticeRole.CLIENT_ADMIN)
    ).values("practice_id")
    assigned = ClientAssignment.objects.filter(
        membership__user=user, business__practice_id=F("membership__practice_id")
    ).values("business_id")
    return Business.objects.filter(Q(practice_id__in=every) | Q(pk__in=assigned))


def practice_accesses_for(*, user: User, businesses) -> dict[uuid.UUID, Access]:
    """The access ``user`` has to each of ``businesses`` through a practice (absent: no practice route reaches it),
    in two queries whatever their number."""
    memberships = list(
        PracticeMembership.objects.select_related("practice").prefetch_related("assignments").filter(user=user)
    )
    found: dict[uuid.UUID, Access] = {}
    for business in businesses:
        for pm in memberships:
            if pm.practice_id != business.practice_id:
                continue
            if pm.reaches_every_client or any(a.business_id == business.pk for a in pm.assignments.all()):
                found[business.pk] = _stronger(found.get(business.pk), _practice_access(pm, business))
    return found


def api_tokens_for_user(*, user: User, current: ApiToken | None = None) -> QuerySet[ApiToken]:
    """``user``'s tokens that still work (not expired, issued under the current password), each annotated
    with ``current``: whether it is the token this request was authenticated with."""
    tokens = ApiToken.objects.filter(user=user, password_fingerprint__in=ApiToken.password_fingerprints(user.password))
    tokens = tokens.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
    is_current = Q(pk=current.pk) if current is not None else Value(False)
    return tokens.annotate(current=ExpressionWrapper(is_current, output_field=BooleanField()))
