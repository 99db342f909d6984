"""Demo accounts. Every demo user's password is ``dext-demo-pass``."""

from accounts.models import Business, BusinessRole, Practice, PracticeRole, User
from accounts.services import business_member_add, practice_client_assign, practice_member_add

DEMO_PASSWORD = "dext-demo-pass"


def _user(email: str, full_name: str) -> User:
    user, created = User.objects.get_or_create(email=email, defaults={"full_name": full_name})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _business(name: str, practice: Practice | None) -> Business:
    business, _ = Business.objects.get_or_create(name=name, defaults={"practice": practice})
    if business.practice_id != (practice.pk if practice else None):
        business.practice = practice
        business.save(update_fields=["practice"])
    return business


def seed_accounts() -> dict:
    northwind, _ = Practice.objects.get_or_create(name="Northwind Bookkeeping")
    acme = _business("Acme Trading Ltd", northwind)
    globex = _business("Globex Corporation", northwind)
    initech = _business("Initech", None)
    hooli = _business("Hooli Stores Ltd", northwind)  # a client the practice runs alone (no users of its own)

    practice_admin = _user("practice.admin@northwind.test", "Priya Patel")
    bookkeeper = _user("bookkeeper@northwind.test", "Ben Booker")
    practice_member_add(practice=northwind, user=practice_admin, role=PracticeRole.PRACTICE_ADMIN)
    bookkeeper_membership = practice_member_add(practice=northwind, user=bookkeeper, role=PracticeRole.STANDARD)
    practice_client_assign(membership=bookkeeper_membership, business=acme)

    acme_admin = _user("admin@acme.test", "Jane Acme")
    acme_staff = _user("staff@acme.test", "Sam Staff")
    business_member_add(business=acme, user=acme_admin, role=BusinessRole.BUSINESS_ADMIN, can_publish=True)
    business_member_add(business=acme, user=acme_staff, role=BusinessRole.STANDARD, can_publish=True)
    business_member_add(
        business=globex,
        user=_user("admin@globex.test", "Gail Globex"),
        role=BusinessRole.BUSINESS_ADMIN,
        can_publish=True,
    )
    business_member_add(
        business=initech,
        user=_user("admin@initech.test", "Ivan Initech"),
        role=BusinessRole.BUSINESS_ADMIN,
        can_publish=True,
    )
    return {
        "acme": acme,
        "globex": globex,
        "initech": initech,
        "hooli": hooli,
        "northwind": northwind,
        "acme_admin": acme_admin,
    }
