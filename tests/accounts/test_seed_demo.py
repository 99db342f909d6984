from django.core.management import call_command

from accounts.models import Business, User
from accounts.permissions import Via
from accounts.selectors import business_access_for, businesses_for_user


def test_seed_demo_is_idempotent_and_matches_the_readme(db):
    call_command("seed_demo")
    call_command("seed_demo")
    assert Business.objects.filter(name="Acme Trading Ltd").count() == 1
    acme = Business.objects.get(name="Acme Trading Ltd")
    globex = Business.objects.get(name="Globex Corporation")
    initech = Business.objects.get(name="Initech")
    assert acme.practice.name == "Northwind Bookkeeping" == globex.practice.name
    assert initech.practice is None
    for email in [
        "practice.admin@northwind.test",
        "bookkeeper@northwind.test",
        "admin@acme.test",
        "staff@acme.test",
        "admin@globex.test",
        "admin@initech.test",
    ]:
        assert User.objects.get(email=email).check_password("dext-demo-pass"), email
    bookkeeper = User.objects.get(email="bookkeeper@northwind.test")
    assert [a.business.name for a in businesses_for_user(user=bookkeeper)] == ["Acme Trading Ltd"]
    staff = business_access_for(user=User.objects.get(email="staff@acme.test"), business_id=acme.id)
    assert staff.role == "standard" and staff.can_publish_flag and staff.via is Via.MEMBER


def test_seed_demo_if_empty_leaves_an_existing_database_alone(db):
    Business.objects.create(name="Someone's real business")
    call_command("seed_demo", "--if-empty")
    assert not Business.objects.filter(name="Acme Trading Ltd").exists()
