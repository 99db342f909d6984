"""The practice month-end page and API (issue 14): who sees which clients, the figures per client (failures grouped
by error, progress, ETA, limit use), "Publish all ready items" and its role checks, and the page's self-refresh."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from publishing.models import Item, ItemState, PublishJob
from publishing.pipeline import items_publish
from tests.publishing.conftest import make_item

API = "/api/v1/practice/month-end/"
PUBLISH_API = "/api/v1/practice/month-end/publish/"


@pytest.fixture
def clients(world, connect, no_broker):
    """Alpha (Xero) and Charlie (QuickBooks Online), both clients of the practice; Bravo, another tenant, with
    work of its own that must never show."""
    connect(world.a, "xero")
    connect(world.client_c, "quickbooks_online")
    connect(world.b, "xero")
    for business in (world.a, world.client_c, world.b):
        make_item(business, invoice_number="R-1")
        make_item(business, invoice_number="R-2")
    return world


def _set(business, item, **fields):
    Item.objects.for_business(business).filter(pk=item.pk).update(**fields)


def _rows(response):
    assert response.status_code == 200, response.content
    return {row["business"]["name"]: row for row in response.json()["results"]}


# ---------------------------------------------------------------- who sees what


def test_practice_admin_sees_every_client_of_the_practice_and_no_other_tenant(clients, api_as):
    rows = _rows(api_as(clients.users["practice_practice_admin"]).get(API))
    assert list(rows) == ["Alpha Ltd", "Charlie Ltd"], "Bravo Ltd (another tenant) leaked into the month-end"
    assert rows["Alpha Ltd"]["ready"] == 2 and rows["Alpha Ltd"]["can_publish"] is True


def test_another_practices_clients_never_appear_nor_publish(clients, api_as, connect):
    from accounts.models import PracticeRole
    from tests.factories import BusinessFactory, PracticeFactory, PracticeMembershipFactory

    rival = PracticeFactory(name="Rival Accountants")
    theirs = BusinessFactory(name="Delta Ltd", practice=rival)
    connect(theirs, "xero")
    make_item(theirs)
    rival_admin = PracticeMembershipFactory(practice=rival, role=PracticeRole.PRACTICE_ADMIN).user
    ours = api_as(clients.users["practice_practice_admin"])
    assert "Delta Ltd" not in _rows(ours.get(API)), "another practice's client leaked into the month-end"
    assert ours.post(PUBLISH_API, {"businesses": [str(theirs.id)]}, format="json").status_code == 404
    ours.post(PUBLISH_API, {}, format="json")
    assert not PublishJob.objects.for_business(theirs).exists(), "publishing all reached another practice's client"
    assert list(_rows(api_as(rival_admin).get(API))) == ["Delta Ltd"]


def test_standard_practice_user_sees_only_assigned_clients(clients, api_as):
    rows = _rows(api_as(clients.users["practice_standard"]).get(API))
    assert list(rows) == ["Alpha Ltd"], "Charlie Ltd is not assigned to the Standard practice user"


@pytest.mark.parametrize("who", ["business_admin", "b_admin", "outsider"])
def test_business_users_are_refused_the_month_end(clients, api_as, client, who):
    user = clients.users[who]
    response = api_as(user).get(API)
    assert response.status_code == 403 and response.json()["code"] == "not_allowed"
    client.force_login(user)
    assert client.get(reverse("month_end")).status_code == 403


def test_signed_out_is_401_and_the_page_asks_to_sign_in(client, api):
    assert api.get(API).status_code == 401
    assert client.get(reverse("month_end")).status_code == 302


def test_clients_are_paged_by_name_with_the_cursor(clients, api_as):
    api = api_as(clients.users["practice_practice_admin"])
    first = api.get(API, {"page_size": 1}).json()
    assert [r["business"]["name"] for r in first["results"]] == ["Alpha Ltd"] and first["next"]
    second = api.get(first["next"]).json()
    assert [r["business"]["name"] for r in second["results"]] == ["Charlie Ltd"] and second["next"] is None
    assert api.get(API, {"cursor": "not-a-cursor"}).status_code == 400


# ---------------------------------------------------------------- the figures


def test_failures_are_grouped_by_error_and_link_to_those_items(clients, api_as, client):
    a = clients.a
    refused = [make_item(a, invoice_number=f"F-{n}") for n in range(3)]
    for item in refused[:2]:
        _set(a, item, last_publish_error="Account code '999' is not a valid code.")
    _set(a, refused[2], last_publish_error="The contact is archived.")
    row = _rows(api_as(clients.users["practice_practice_admin"]).get(API))["Alpha Ltd"]
    assert row["failed"] == 3
    assert [(g["detail"], g["count"], g["kind"]) for g in row["failures"]] == [
        ("Account code '999' is not a valid code.", 2, "cost"),
        ("The contact is archived.", 1, "cost"),
    ]
    assert row["ready"] == 2, "failed items are not counted as ready to publish again"
    client.force_login(clients.users["practice_practice_admin"])
    listed = client.get(row["failures"][0]["url"]).content.decode()
    assert "F-0" in listed and "F-1" in listed, "the group's link must list its items"
    assert "F-2" not in listed and "R-1" not in listed, "the group's link must list only its items"


def test_progress_counts_published_today_against_everything_in_the_run(clients, api_as):
    a = clients.a
    items = [make_item(a, invoice_number=f"P-{n}") for n in range(5)]
    now = timezone.now()
    _set(a, items[0], state=ItemState.PUBLISHED, published_at=now)
    _set(a, items[1], state=ItemState.PUBLISHED, published_at=now)
    _set(a, items[2], state=ItemState.PUBLISHED, published_at=now - timedelta(days=2))  # not today
    _set(a, items[3], state=ItemState.PUBLISHING)
    _set(a, items[4], last_publish_error="Refused.")
    row = _rows(api_as(clients.users["practice_practice_admin"]).get(API))["Alpha Ltd"]
    assert (row["published_today"], row["publishing"], row["failed"], row["queued"]) == (2, 1, 1, 0)
    assert row["progress"] == 50  # 2 / (2 + 0 + 1 + 1)


def test_queued_work_has_an_eta_per_client_and_connection_and_limit_use(clients, api_as):
    a = clients.a
    ids = list(Item.objects.for_business(a).values_list("id", flat=True))
    items_publish(business=a, item_ids=ids, actor=None, queue="publish_bulk")
    rows = _rows(api_as(clients.users["practice_practice_admin"]).get(API))
    alpha = rows["Alpha Ltd"]
    assert alpha["queued"] == 2 and alpha["eta"] is not None
    (xero,) = alpha["connections"]
    assert xero["name"] == "Xero" and xero["queued"] == 2 and xero["eta"] is not None
    assert xero["minute_limit"] == 60 and xero["minute_used"] == 0
    assert rows["Charlie Ltd"]["eta"] is None, "nothing queued: no ETA"


def test_month_end_reads_a_page_in_a_constant_number_of_queries(clients, api_as, django_assert_max_num_queries):
    api = api_as(clients.users["practice_practice_admin"])
    with django_assert_max_num_queries(12) as few:
        api.get(API)
    for n in range(6):
        from tests.factories import BusinessFactory

        more = BusinessFactory(name=f"Delta {n}", practice=clients.a.practice)
        make_item(more)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get(API).json()["results"]) == 8


# ---------------------------------------------------------------- Publish all ready items


def test_publish_all_ready_items_of_one_client_on_the_bulk_queue(clients, api_as):
    a = clients.a
    failed = make_item(a, invoice_number="F-1")
    _set(a, failed, last_publish_error="Refused.")
    response = api_as(clients.users["practice_standard"]).post(PUBLISH_API, {"businesses": [str(a.id)]}, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["queued"] == 2
    assert set(PublishJob.objects.for_business(a).values_list("queue", flat=True)) == {"publish_bulk"}
    assert Item.objects.for_business(a).get(pk=failed.pk).state == ItemState.READY, "a refused item is not re-sent"
    assert not PublishJob.objects.for_business(clients.client_c).exists()


def test_publish_for_every_reached_client_at_once(clients, api_as):
    response = api_as(clients.users["practice_practice_admin"]).post(PUBLISH_API, {}, format="json")
    assert response.status_code == 202
    assert {c["business"]["name"]: c["queued"] for c in response.json()["clients"]} == {
        "Alpha Ltd": 2,
        "Charlie Ltd": 2,
    }
    assert not PublishJob.objects.for_business(clients.b).exists(), "another tenant's items were published"


def test_many_ready_items_are_queued_by_a_task_per_client_not_in_the_request(
    clients, api_as, settings, django_capture_on_commit_callbacks, monkeypatch
):
    """More ready items than MONTH_END_INLINE_MAX in all: the request answers at once with what it hands over, and a
    task per client queues them (checking the user's access again)."""
    settings.MONTH_END_INLINE_MAX = 3
    sent = []
    monkeypatch.setattr("publishing.tasks.month_end_publish_client.delay", lambda *ids: sent.append(ids))
    user = clients.users["practice_practice_admin"]
    with django_capture_on_commit_callbacks(execute=True):
        response = api_as(user).post(PUBLISH_API, {}, format="json")
    assert response.status_code == 202, response.content
    assert response.json()["queued"] == 4
    assert {c["business"]["name"]: (c["queued"], c["in_background"]) for c in response.json()["clients"]} == {
        "Alpha Ltd": (2, True),
        "Charlie Ltd": (2, True),
    }
    assert not PublishJob.objects.unscoped().filter(business_id__in=[clients.a.pk, clients.client_c.pk]).exists()
    assert sorted(sent) == sorted([(str(user.pk), str(clients.a.pk)), (str(user.pk), str(clients.client_c.pk))])

    from publishing.tasks import month_end_publish_client

    for user_id, business_id in sent:
        month_end_publish_client(user_id, business_id)
        month_end_publish_client(user_id, business_id)  # a task run twice queues nothing twice
    assert PublishJob.objects.for_business(clients.a).count() == 2
    assert PublishJob.objects.for_business(clients.client_c).count() == 2
    assert not PublishJob.objects.for_business(clients.b).exists()


def test_a_month_end_task_of_a_user_who_lost_the_client_queues_nothing(clients):
    from publishing.tasks import month_end_publish_client

    month_end_publish_client(str(clients.users["practice_standard"].pk), str(clients.client_c.pk))  # not assigned
    month_end_publish_client(str(clients.users["practice_practice_admin"].pk), str(clients.b.pk))  # another tenant
    assert not PublishJob.objects.unscoped().filter(business_id__in=[clients.client_c.pk, clients.b.pk]).exists()


def test_standard_practice_user_publishing_all_publishes_only_assigned_clients(clients, api_as):
    response = api_as(clients.users["practice_standard"]).post(PUBLISH_API, {}, format="json")
    assert [c["business"]["name"] for c in response.json()["clients"]] == ["Alpha Ltd"]
    assert not PublishJob.objects.for_business(clients.client_c).exists()


@pytest.mark.parametrize(
    ("who", "target", "status"),
    [
        ("practice_standard", "client_c", 404),  # a client of the practice not assigned to them
        ("practice_practice_admin", "b", 404),  # another tenant
        ("business_admin", "a", 403),  # a business user: not a practice user
    ],
)
def test_publish_refusals(clients, api_as, who, target, status):
    business = getattr(clients, target)
    response = api_as(clients.users[who]).post(PUBLISH_API, {"businesses": [str(business.id)]}, format="json")
    assert response.status_code == status
    assert response.json()["code"] == {403: "not_allowed", 404: "not_found"}[status]
    assert not PublishJob.objects.for_business(business).exists()


def test_publish_refuses_a_role_that_may_not_publish(clients, api_as, monkeypatch):
    """The action asks the permission policy about each client, as every publish does."""
    monkeypatch.setattr("publishing.month_end.can", lambda access, action: False)
    response = api_as(clients.users["practice_practice_admin"]).post(
        PUBLISH_API, {"businesses": [str(clients.a.id)]}, format="json"
    )
    assert response.status_code == 403 and response.json()["code"] == "not_allowed"
    assert not PublishJob.objects.for_business(clients.a).exists()
    rows = _rows(api_as(clients.users["practice_practice_admin"]).get(API))
    assert rows["Alpha Ltd"]["can_publish"] is False


def test_malformed_publish_body_is_400(clients, api_as):
    api = api_as(clients.users["practice_practice_admin"])
    assert api.post(PUBLISH_API, {"businesses": "x"}, format="json").status_code == 400
    assert api.post(PUBLISH_API, {"businesses": ["not-an-id"]}, format="json").status_code == 404


# ---------------------------------------------------------------- the page


def test_page_polls_while_work_is_in_flight_and_stops_when_it_lands(clients, client):
    client.force_login(clients.users["practice_practice_admin"])
    idle = client.get(reverse("month_end")).content.decode()
    assert 'data-testid="month-end-summary"' in idle and 'aria-live="polite"' in idle
    assert "hx-trigger" not in idle.split('id="month-end-body"')[1].split(">")[0], "nothing in flight: no polling"
    response = client.post(reverse("month_end_publish"), {"business": str(clients.a.id)})
    assert response.status_code == 302
    busy = client.get(reverse("month_end")).content.decode()
    assert 'hx-trigger="every 3s"' in busy and "2 queued" in busy
    partial = client.get(reverse("month_end"), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-swap-oob="innerHTML"' in partial and "<html" not in partial
    Item.objects.for_business(clients.a).update(state=ItemState.PUBLISHED, published_at=timezone.now())
    landed = client.get(reverse("month_end"), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every' not in landed and "2 published today" in landed


def test_page_shows_publish_buttons_and_the_navigation_links_it(clients, client):
    client.force_login(clients.users["practice_standard"])
    page = client.get(reverse("month_end")).content.decode()
    assert page.count('data-testid="publish-client"') == 1 and "Charlie Ltd" not in page
    assert 'data-testid="nav-month-end"' in page
    inbox = client.get(reverse("costs_inbox", kwargs={"business_id": clients.a.id})).content.decode()
    assert reverse("month_end") in inbox, "the practice navigation links the month-end page"


def test_page_publish_of_an_unreached_client_is_404(clients, client):
    client.force_login(clients.users["practice_standard"])
    assert client.post(reverse("month_end_publish"), {"business": str(clients.client_c.id)}).status_code == 404
    assert not PublishJob.objects.for_business(clients.client_c).exists()


def test_page_publish_for_every_client_says_the_items_are_being_queued_when_a_task_does_it(
    clients, client, settings, monkeypatch
):
    settings.MONTH_END_INLINE_MAX = 3
    monkeypatch.setattr("publishing.tasks.month_end_publish_client.delay", lambda *ids: None)
    client.force_login(clients.users["practice_practice_admin"])
    page = client.post(reverse("month_end_publish"), follow=True)
    html = page.content.decode()
    assert "4 ready items of 2 clients are being queued for publishing." in html
    # Nothing is queued yet (the tasks do it): the page watches anyway, and says why.
    assert 'data-polling="1"' in html and "Queuing the ready items of 2 clients" in html


def test_openapi_describes_the_month_end_and_the_items_eta(client):
    import json

    schema = json.loads(client.get("/api/schema/?format=json").content)
    assert {"/api/v1/practice/month-end/", "/api/v1/practice/month-end/publish/"} <= set(schema["paths"])
    item = schema["components"]["schemas"]["ItemOutput"]["properties"]["eta"]
    assert item["format"] == "date-time" and item["nullable"] is True
