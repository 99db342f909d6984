"""Sign-in, sign-up, the switchers and tenant isolation of the pages."""

import pytest
from django.urls import reverse

from accounts.models import Business, BusinessMembership, BusinessRole
from tests.factories import PASSWORD

PAGES = ["costs_inbox", "sales_list", "expense_claims_list", "connections"]


def test_sign_in_page_renders(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"Sign In" in response.content or b"Sign in" in response.content


def test_sign_in_with_email_lands_on_the_only_business(client, world):
    response = client.post(
        "/accounts/login/", {"login": "business_admin@alpha.test", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("costs_inbox", kwargs={"business_id": world.a.id})


def test_wrong_password_does_not_sign_in(client, world):
    response = client.post("/accounts/login/", {"login": "business_admin@alpha.test", "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_signup_creates_a_business_with_the_user_as_admin(client, db):
    response = client.post(
        "/accounts/signup/",
        {
            "full_name": "Nina New",
            "email": "nina@new.test",
            "business_name": "Nina's Nails",
            "password1": "a-long-unusual-pass-42",
            "password2": "a-long-unusual-pass-42",
        },
    )
    assert response.status_code == 302, response.content
    business = Business.objects.get(name="Nina's Nails")
    membership = BusinessMembership.objects.get(business=business)
    assert membership.user.email == "nina@new.test"
    assert membership.role == BusinessRole.BUSINESS_ADMIN


def test_password_reset_page(client, db):
    assert client.get("/accounts/password/reset/").status_code == 200


def test_sign_out(client, world):
    client.force_login(world.users["business_admin"])
    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("page", PAGES)
def test_pages_require_sign_in(client, world, page):
    response = client.get(reverse(page, kwargs={"business_id": world.a.id}))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("page", PAGES)
def test_pages_of_another_tenant_are_404(client, world, page):
    client.force_login(world.users["business_admin"])
    assert client.get(reverse(page, kwargs={"business_id": world.a.id})).status_code == 200
    response = client.get(reverse(page, kwargs={"business_id": world.b.id}))
    assert response.status_code == 404, f"{page} of business B leaked to A's admin"
    assert b"Bravo Ltd" not in response.content, f"{page}: B's name leaked"


@pytest.mark.parametrize("page", PAGES)
def test_pages_show_business_and_role(client, world, page):
    client.force_login(world.users["standard"])
    content = client.get(reverse(page, kwargs={"business_id": world.a.id})).content.decode()
    assert 'data-testid="current-business">Alpha Ltd<' in content
    assert 'data-testid="current-role">Standard<' in content


def test_switcher_lists_own_businesses_and_clients_only(client, world):
    client.force_login(world.users["practice_practice_admin"])
    content = client.get(reverse("switch")).content.decode()
    assert "Alpha Ltd" in content and "Charlie Ltd" in content
    assert "Bravo Ltd" not in content, "switcher leaked another tenant"


def test_client_switcher_for_standard_practice_user(client, world):
    client.force_login(world.users["practice_standard"])
    content = client.get(reverse("switch")).content.decode()
    assert "Alpha Ltd" in content
    assert "Charlie Ltd" not in content, "unassigned client leaked into the switcher"


def test_switching_lands_on_the_clients_costs_inbox(client, world):
    client.force_login(world.users["practice_practice_admin"])
    home = client.get("/", follow=True)
    assert home.redirect_chain[-1][0] == reverse("switch"), "two clients: the user chooses"
    url = reverse("costs_inbox", kwargs={"business_id": world.client_c.id})
    assert f'href="{url}"' in home.content.decode()
    inbox = client.get(url)
    assert inbox.status_code == 200
    assert 'data-testid="current-business">Charlie Ltd<' in inbox.content.decode()


def test_two_tabs_on_two_clients_do_not_leak(client, world):
    """The business is in the URL, never in the session: alternating requests stay apart."""
    client.force_login(world.users["practice_practice_admin"])
    for business in (world.a, world.client_c, world.a):
        content = client.get(reverse("costs_inbox", kwargs={"business_id": business.id})).content.decode()
        assert f'data-testid="current-business">{business.name}<' in content


def test_client_switcher_costs_the_same_queries_for_two_clients_or_twenty(client, world, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import BusinessFactory

    user = world.users["practice_practice_admin"]
    client.force_login(user)
    url = reverse("sales_list", kwargs={"business_id": world.a.id})
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(18):
        BusinessFactory(name=f"Client {n}", practice=world.a.practice)
    with CaptureQueriesContext(connection) as many:
        content = client.get(url).content.decode()
    assert "Client 17" in content or "All accounts" in content
    assert len(many) == len(few), "the switcher's queries grow with the number of clients"
