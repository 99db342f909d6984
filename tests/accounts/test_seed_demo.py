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


def test_full_demo_publishes_examples_through_the_sandbox_and_leaves_one_error(db, settings, tmp_path):
    """The whole seed_demo: real sandbox grants, Acme's items, a few published for real, one failing."""
    from integrations.sandbox import selectors as sandbox
    from publishing.demo_published import BAD_CATEGORY
    from publishing.models import Item, ItemState

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SITE_URL = "http://127.0.0.1:8000"
    call_command("seed_demo")
    acme = Business.objects.get(name="Acme Trading Ltd")
    items = Item.objects.for_business(acme)
    published = items.filter(state=ItemState.PUBLISHED)
    assert published.count() >= 3
    assert all(i.external_id and i.external_url for i in published)
    received = {d["reference"] for p in ("xero", "bill_com") for d in sandbox.documents_list(provider=p)}
    assert {str(i.pk) for i in published} <= received
    failing = items.get(category=BAD_CATEGORY)
    assert failing.state == ItemState.READY and failing.last_publish_error
    assert list(items.exclude(last_publish_error=None)) == [failing], "only the intended example may fail"
    assert items.filter(kind="sales", state=ItemState.PUBLISHED).exists()
    call_command("seed_demo")  # idempotent: nothing is published twice
    again = {d["reference"] for p in ("xero", "bill_com") for d in sandbox.documents_list(provider=p)}
    total = sum(len(sandbox.documents_list(provider=p)) for p in ("xero", "bill_com"))
    assert again == received and total == len(received)


def test_demo_gives_the_practice_a_month_end_across_clients(db, settings, tmp_path):
    """make run: Northwind's Practice Admin sees several clients with items ready on the month-end page (once the
    demo's worker has synced each connection's lists, as here)."""
    from integrations.inprocess import provider_http_in_process
    from integrations.models import Connection
    from publishing.month_end import month_end_page
    from tests.conftest import sync_lists_now

    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SITE_URL = "http://127.0.0.1:8000"
    call_command("seed_demo")
    with provider_http_in_process():
        for connection in Connection.objects.unscoped().filter(status="active"):
            sync_lists_now(connection)
    admin = User.objects.get(email="practice.admin@northwind.test")
    rows, _ = month_end_page(user=admin, cursor=None, size=25)
    ready = {row.business.name: row.ready for row in rows}
    assert set(ready) == {"Acme Trading Ltd", "Globex Corporation", "Hooli Stores Ltd"}
    assert all(n >= 10 for n in ready.values()), ready
    assert all(row.can_publish for row in rows)
