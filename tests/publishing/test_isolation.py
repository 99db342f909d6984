"""Tenant isolation and roles on every items, suppliers and supplier-rules endpoint and page.

Business A is a client of the practice; business B is another tenant. For every list, detail and
write: what A's users see, and that B's objects answer 404 and are never touched.
"""

import pytest
from django.urls import reverse

from publishing.models import Item, ItemState, SupplierRule
from publishing.services import supplier_get_or_create
from tests.publishing.conftest import make_item


@pytest.fixture
def two_tenants(world, connect):
    xero_a = connect(world.a, "xero")
    connect(world.a, "bill_com")
    xero_b = connect(world.b, "xero")
    connect(world.b, "bill_com")
    mine = make_item(world.a, contact="Alpha Supplier", invoice_number="ALPHA-1")
    theirs = make_item(world.b, contact="Bravo Secret Supplier", invoice_number="BRAVO-SECRET")
    rule_b = SupplierRule.objects.create(
        business=world.b, supplier=supplier_get_or_create(business=world.b, name="Bravo Secret Supplier")
    )
    rule_a = SupplierRule.objects.create(
        business=world.a, supplier=supplier_get_or_create(business=world.a, name="Alpha Supplier")
    )
    return {"mine": mine, "theirs": theirs, "rule_a": rule_a, "rule_b": rule_b, "xero_a": xero_a, "xero_b": xero_b}


def api(business, path):
    return f"/api/v1/businesses/{business.id}/{path}"


# ---------------------------------------------------------------- lists never show another tenant's rows


@pytest.mark.parametrize("path", ["items/", "suppliers/", "supplier-rules/"])
def test_api_lists_show_only_the_business_rows(world, api_as, two_tenants, path):
    body = api_as(world.users["business_admin"]).get(api(world.a, path)).content.decode()
    assert "Bravo" not in body and "BRAVO-SECRET" not in body, f"{path} leaked business B's rows"
    assert str(two_tenants["theirs"].id) not in body and str(two_tenants["rule_b"].id) not in body


@pytest.mark.parametrize("name", ["costs_inbox", "sales_list", "expense_claims_list", "supplier_rules"])
def test_pages_show_only_the_business_rows(client, world, two_tenants, name):
    client.force_login(world.users["business_admin"])
    for tab in ("to_review", "ready"):
        content = client.get(reverse(name, kwargs={"business_id": world.a.id}) + f"?tab={tab}").content.decode()
        assert "Bravo" not in content, f"{name} leaked business B's rows"


# ---------------------------------------------------------------- another tenant's ids are 404, never touched


def test_api_details_and_writes_on_another_tenants_ids_are_404(world, api_as, two_tenants):
    client = api_as(world.users["business_admin"])
    theirs, rule_b = two_tenants["theirs"], two_tenants["rule_b"]
    responses = {
        "item get": client.get(api(world.a, f"items/{theirs.id}/")),
        "item patch": client.patch(api(world.a, f"items/{theirs.id}/"), {"category": "pwned"}, format="json"),
        "item publish": client.post(api(world.a, f"items/{theirs.id}/publish/")),
        "rule get": client.get(api(world.a, f"supplier-rules/{rule_b.id}/")),
        "rule patch": client.patch(api(world.a, f"supplier-rules/{rule_b.id}/"), {"category": "x"}, format="json"),
        "rule delete": client.delete(api(world.a, f"supplier-rules/{rule_b.id}/")),
        "malformed item": client.get(api(world.a, "items/not-a-uuid/")),
        "malformed rule": client.get(api(world.a, "supplier-rules/not-a-uuid/")),
    }
    for what, response in responses.items():
        assert response.status_code == 404, f"{what}: business B's object leaked ({response.status_code})"
        assert response.json() == {"code": "not_found", "detail": "Not found."} or response.json()["code"] == (
            "not_found"
        )
    theirs.refresh_from_db()
    # As its Xero coding left it (the account shown by its code): untouched by business A's requests.
    assert theirs.category == "429" and theirs.state == ItemState.READY
    assert SupplierRule.objects.for_business(world.b).filter(pk=rule_b.pk).exists()


def test_api_of_another_business_is_404_for_every_endpoint(world, api_as, two_tenants):
    client = api_as(world.users["business_admin"])
    mine = two_tenants["mine"]
    paths = [
        "items/",
        "suppliers/",
        "supplier-rules/",
        f"items/{mine.id}/",
        f"supplier-rules/{two_tenants['rule_a'].id}/",
    ]
    for path in paths:
        assert client.get(api(world.b, path)).status_code == 404, f"B's {path} leaked to A's admin"
    writes = [
        client.post(api(world.b, "items/"), {"kind": "cost"}, format="json"),
        client.post(api(world.b, "suppliers/"), {"name": "x"}, format="json"),
        client.post(api(world.b, "items/bulk/"), {"ids": [str(mine.id)], "action": "archive"}, format="json"),
    ]
    assert [w.status_code for w in writes] == [404, 404, 404]
    assert not Item.objects.for_business(world.b).filter(kind="cost", supplier__isnull=True).exists()


def test_bulk_never_touches_another_tenants_item(world, api_as, two_tenants):
    theirs, xero_a = two_tenants["theirs"], two_tenants["xero_a"]
    client = api_as(world.users["business_admin"])
    for action in ("archive", "set_integration", "publish"):
        body = client.post(
            api(world.a, "items/bulk/"),
            {"ids": [str(theirs.id)], "action": action, "integration": str(xero_a.id)},
            format="json",
        ).json()
        assert body == {
            "updated": 0,
            "errors": [{"id": str(theirs.id), "code": "not_found", "detail": "No such item."}],
        }
    theirs.refresh_from_db()
    assert theirs.state == ItemState.READY and theirs.integration_id != xero_a.id


def test_a_connection_of_another_tenant_cannot_be_used(world, api_as, two_tenants):
    mine, xero_b = two_tenants["mine"], two_tenants["xero_b"]
    client = api_as(world.users["business_admin"])
    responses = [
        client.patch(api(world.a, f"items/{mine.id}/"), {"integration": str(xero_b.id)}, format="json"),
        client.post(
            api(world.a, "items/bulk/"),
            {"ids": [str(mine.id)], "action": "set_integration", "integration": str(xero_b.id)},
            format="json",
        ),
        client.patch(
            api(world.a, f"supplier-rules/{two_tenants['rule_a'].id}/"), {"integration": str(xero_b.id)}, format="json"
        ),
    ]
    assert [(r.status_code, r.json()["code"]) for r in responses] == [(400, "invalid_connection")] * 3


def test_pages_with_another_tenants_ids_are_404(client, world, two_tenants):
    client.force_login(world.users["business_admin"])
    theirs, rule_b, xero_a = two_tenants["theirs"], two_tenants["rule_b"], two_tenants["xero_a"]

    def url(name, **kwargs):
        return reverse(name, kwargs={"business_id": world.a.id, **kwargs})

    responses = {
        "item page": client.get(url("item_detail", item_id=theirs.id)),
        "item edit": client.post(url("item_detail", item_id=theirs.id), {"category": "pwned", "currency": "GBP"}),
        "integration": client.post(url("item_integration", item_id=theirs.id), {"integration": xero_a.id}),
        "publish": client.post(url("item_publish", item_id=theirs.id)),
        "archive": client.post(url("item_archive", item_id=theirs.id)),
        "attachment": client.get(url("item_attachment", item_id=theirs.id)),
        "rule edit page": client.get(url("supplier_rule_edit", rule_id=rule_b.id)),
        "rule edit": client.post(url("supplier_rule_edit", rule_id=rule_b.id), {"supplier_name": "x"}),
        "rule delete": client.post(url("supplier_rule_delete", rule_id=rule_b.id)),
    }
    for what, response in responses.items():
        assert response.status_code == 404, f"{what}: business B's object leaked ({response.status_code})"
        assert b"Bravo" not in response.content, f"{what}: B's name leaked"
    theirs.refresh_from_db()
    # As its Xero coding left it (the account shown by its code): untouched by business A's requests.
    assert theirs.category == "429" and theirs.state == ItemState.READY
    assert SupplierRule.objects.for_business(world.b).filter(pk=rule_b.pk).exists()


PAGES = [
    "costs_inbox",
    "sales_list",
    "expense_claims_list",
    "item_upload",
    "supplier_rules",
]


@pytest.mark.parametrize("name", PAGES + ["item_detail"])
def test_every_page_of_another_business_is_404(client, world, two_tenants, name):
    client.force_login(world.users["business_admin"])
    kwargs = {"business_id": world.b.id}
    if name == "item_detail":
        kwargs["item_id"] = two_tenants["theirs"].id
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 404, f"{name} of business B leaked to A's admin"
    assert b"Bravo" not in response.content


@pytest.mark.parametrize("name", PAGES)
def test_pages_need_sign_in(client, world, name):
    response = client.get(reverse(name, kwargs={"business_id": world.a.id}))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("path", ["items/", "suppliers/", "supplier-rules/"])
def test_api_needs_authentication(world, api, path):
    response = api.get(api_path := f"/api/v1/businesses/{world.a.id}/{path}")
    assert response.status_code in (401, 403), api_path
    assert response.json()["code"] == "not_authenticated"


# ---------------------------------------------------------------- practice users


@pytest.mark.parametrize(
    "role, reaches",
    [
        ("practice_practice_admin", True),
        ("practice_client_admin", True),
        ("practice_standard", True),
        ("outsider", False),
        ("b_admin", False),
    ],
)
def test_who_reaches_the_items_of_business_a(world, api_as, two_tenants, role, reaches):
    response = api_as(world.users[role]).get(api(world.a, f"items/{two_tenants['mine'].id}/"))
    assert response.status_code == (200 if reaches else 404), f"{role}: {response.status_code}"


def test_the_standard_practice_user_does_not_reach_an_unassigned_client(world, api_as, client):
    make_item(world.client_c, contact="Charlie Supplier")
    response = api_as(world.users["practice_standard"]).get(api(world.client_c, "items/"))
    assert response.status_code == 404, "an unassigned client's items leaked"
    client.force_login(world.users["practice_standard"])
    assert client.get(reverse("costs_inbox", kwargs={"business_id": world.client_c.id})).status_code == 404


@pytest.mark.parametrize(
    "role, may",
    [
        ("business_admin", True),
        ("user_admin", True),
        ("standard_publisher", True),
        ("standard", False),
        ("practice_standard", True),
    ],
)
def test_integration_changes_need_the_right_to_publish(world, api_as, two_tenants, role, may):
    response = api_as(world.users[role]).patch(
        api(world.a, f"items/{two_tenants['mine'].id}/"), {"integration": str(two_tenants["xero_a"].id)}, format="json"
    )
    assert response.status_code == (200 if may else 403), f"{role}: {response.content}"


@pytest.mark.parametrize(
    "role", ["business_admin", "user_admin", "standard", "standard_publisher", "practice_standard"]
)
def test_every_role_that_sees_the_business_may_create_and_edit_items(world, api_as, role):
    client = api_as(world.users[role])
    created = client.post(api(world.a, "items/"), {"kind": "cost", "supplier": "Paper Co"}, format="json")
    assert created.status_code == 201
    edited = client.patch(api(world.a, f"items/{created.json()['id']}/"), {"category": "429"}, format="json")
    assert edited.status_code == 200
