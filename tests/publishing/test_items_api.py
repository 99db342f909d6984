"""The Items part of API.md: the item JSON, create, edit, integration, publish, list and every refusal."""

import uuid

import pytest

from accounts.models import AuditLogEntry
from publishing.models import IntegrationSource, Item, ItemHistory, ItemKind, ItemState, PublishJob, Supplier
from tests.publishing.conftest import make_item

ITEM_KEYS = {
    "id",
    "kind",
    "state",
    "supplier",
    "customer",
    "date",
    "due_date",
    "invoice_number",
    "currency",
    "total",
    "tax",
    "category",
    "description",
    "payment_method",
    "paid",
    "publish_as",
    "integration",
    "integration_source",
    "last_publish_error",
    "external_id",
    "external_url",
    "published_at",
    "created_at",
    "category_id",
    "tax_rate_id",
    "payment_account_id",
    "problems",
}


def url(business, path=""):
    return f"/api/v1/businesses/{business.id}/{path}"


# ---------------------------------------------------------------- create and the item JSON


def test_create_a_cost_answers_the_item_exactly_as_api_md_lists(world, api_as, xero_bill):
    xero, bill = xero_bill
    response = api_as(world.users["standard"]).post(
        url(world.a, "items/"),
        {
            "kind": "cost",
            "supplier": "Office Supplies Co",
            "date": "2026-11-02",
            "due_date": "2026-12-02",
            "invoice_number": "OFF-1001",
            "currency": "gbp",
            "total": "123.45",
            "tax": "20.58",
            "category": "429 General Expenses",
            "description": "Paper",
            "payment_method": "Bank transfer",
            "paid": False,
            "publish_as": "bill",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= ITEM_KEYS
    supplier = Supplier.objects.for_business(world.a).get(name="Office Supplies Co")
    assert body["supplier"] == {"id": str(supplier.id), "name": "Office Supplies Co"}, "a new name creates the supplier"
    assert body["customer"] is None
    assert body["state"] == "ready"
    assert body["total"] == "123.45" and body["tax"] == "20.58", "money is a decimal string"
    assert body["currency"] == "GBP"
    assert body["integration"] == str(bill.id) and body["integration_source"] == "default"
    assert isinstance(body["id"], str) and uuid.UUID(body["id"])
    assert body["last_publish_error"] is None and body["published_at"] is None
    assert body["created_at"].endswith(("Z", "+00:00"))


def test_create_without_category_waits_for_review(world, api_as):
    response = api_as(world.users["standard"]).post(
        url(world.a, "items/"),
        {"kind": "cost", "supplier": "Paper Co", "date": "2026-11-02", "total": "5"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["state"] == "to_review"


def test_create_a_sales_item_with_a_customer(world, api_as, xero_bill):
    xero, _ = xero_bill
    body = (
        api_as(world.users["standard"])
        .post(
            url(world.a, "items/"),
            {
                "kind": "sales",
                "customer": "Bluebell Interiors",
                "date": "2026-11-02",
                "total": "1200.00",
                "category": "200",
            },
            format="json",
        )
        .json()
    )
    assert body["customer"]["name"] == "Bluebell Interiors" and body["supplier"] is None
    assert body["integration"] == str(xero.id) and body["integration_source"] == "main_only"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"kind": "invoice"}, "kind"),
        ({"kind": "cost", "total": "abc"}, "total"),
        ({"kind": "cost", "date": "yesterday"}, "date"),
        ({"kind": "cost", "currency": "pounds"}, "currency"),
        ({"kind": "sales", "supplier": "Paper Co"}, "supplier"),
        ({"kind": "cost", "customer": "Bluebell"}, "customer"),
    ],
)
def test_create_refuses_bad_input_with_invalid(world, api_as, payload, field):
    response = api_as(world.users["standard"]).post(url(world.a, "items/"), payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert field in response.json()["errors"]


def test_malformed_json_is_a_400(world, api_as):
    response = api_as(world.users["standard"]).post(
        url(world.a, "items/"), data="{not json", content_type="application/json"
    )
    assert response.status_code == 400


# ---------------------------------------------------------------- edit


def test_patch_fields_records_history_and_makes_the_item_ready(world, api_as, connect):
    connect(world.a, "xero")
    item = make_item(world.a, ready=False)
    assert item.state == ItemState.TO_REVIEW
    response = api_as(world.users["standard"]).patch(
        url(world.a, f"items/{item.id}/"), {"category": "400 Advertising", "total": "99.99"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "ready" and response.json()["total"] == "99.99"
    fields = set(ItemHistory.objects.for_business(world.a).filter(item=item).values_list("field", flat=True))
    assert {"category", "total", "state"} <= fields
    # The person's change; the coding then shows the Xero account by its code (API.md), a change of its own.
    entry = ItemHistory.objects.for_business(world.a).get(item=item, field="category", before="")
    assert entry.actor == world.users["standard"] and (entry.before, entry.after) == ("", "400 Advertising")


def test_patch_integration_is_a_hand_made_choice_and_null_drops_it(world, api_as, xero_bill):
    xero, bill = xero_bill
    item = make_item(world.a)
    client = api_as(world.users["standard_publisher"])
    body = client.patch(url(world.a, f"items/{item.id}/"), {"integration": str(xero.id)}, format="json").json()
    assert body["integration"] == str(xero.id) and body["integration_source"] == "manual"
    assert AuditLogEntry.objects.for_business(world.a).filter(action="item.integration_changed").count() == 1
    body = client.patch(url(world.a, f"items/{item.id}/"), {"integration": None}, format="json").json()
    assert body["integration"] == str(bill.id) and body["integration_source"] == "default"


def test_patch_integration_needs_the_right_to_publish(world, api_as, xero_bill):
    xero, _ = xero_bill
    item = make_item(world.a)
    item.refresh_from_db()
    before = (item.integration_id, item.category, item.category_entry_id)  # "429 General Expenses", coded
    assert item.category_entry_id is not None
    response = api_as(world.users["standard"]).patch(
        url(world.a, f"items/{item.id}/"), {"integration": str(xero.id), "category": "x"}, format="json"
    )
    assert response.status_code == 403 and response.json()["code"] == "not_allowed"
    item.refresh_from_db()
    assert (item.integration_id, item.category, item.category_entry_id) == before, "nothing changes when refused"


def test_refusal_sales_main_only(world, api_as, xero_bill):
    _, bill = xero_bill
    item = make_item(world.a, kind=ItemKind.SALES, contact="Bluebell Interiors")
    response = api_as(world.users["business_admin"]).patch(
        url(world.a, f"items/{item.id}/"), {"integration": str(bill.id)}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "sales_main_only"
    assert "Xero" in response.json()["detail"]


def test_refusal_invalid_connection_for_another_tenants_connection(world, api_as, xero_bill, connect):
    theirs = connect(world.b, "quickbooks_online")
    item = make_item(world.a)
    item.refresh_from_db()
    before = (item.integration_id, item.category, item.category_entry_id)  # "429 General Expenses", coded
    response = api_as(world.users["business_admin"]).patch(
        url(world.a, f"items/{item.id}/"), {"integration": str(theirs.id), "category": "New"}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid_connection"
    item.refresh_from_db()
    assert (item.integration_id, item.category, item.category_entry_id) == before, (
        "a refused integration leaves the other fields unchanged"
    )


def test_refusal_kind_not_supported(world, api_as, connect):
    qbd = connect(world.a, "quickbooks_desktop")
    connect(world.a, "bill_com")
    claim = make_item(world.a, kind=ItemKind.EXPENSE_CLAIM)
    response = api_as(world.users["business_admin"]).patch(
        url(world.a, f"items/{claim.id}/"), {"integration": str(qbd.id)}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "kind_not_supported"
    assert "QuickBooks Desktop does not take expense claims" in response.json()["detail"]


def test_refusal_item_not_editable_for_a_published_items_integration(world, api_as, xero_bill):
    xero, _ = xero_bill
    item = make_item(world.a)
    Item.objects.for_business(world.a).filter(pk=item.pk).update(state=ItemState.PUBLISHED)
    response = api_as(world.users["business_admin"]).patch(
        url(world.a, f"items/{item.id}/"), {"integration": str(xero.id)}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "item_not_editable"


# ---------------------------------------------------------------- publish


def test_publish_answers_202_and_the_queued_item(world, api_as, xero_bill, no_broker):
    item = make_item(world.a)
    response = api_as(world.users["standard_publisher"]).post(url(world.a, f"items/{item.id}/publish/"))
    assert response.status_code == 202, response.content
    assert response.json()["state"] == "queued"
    assert PublishJob.objects.for_business(world.a).filter(item=item, queue="publish_interactive").count() == 1


def test_publish_refusal_not_ready_names_the_missing_fields(world, api_as, xero_bill):
    item = make_item(world.a, ready=False, total=None)
    response = api_as(world.users["business_admin"]).post(url(world.a, f"items/{item.id}/publish/"))
    assert response.status_code == 409
    assert response.json()["code"] == "not_ready"
    assert response.json()["missing"] == ["total", "category"]


def test_publish_refusal_no_connection(world, api_as):
    item = make_item(world.a)
    response = api_as(world.users["business_admin"]).post(url(world.a, f"items/{item.id}/publish/"))
    assert response.status_code == 409 and response.json()["code"] == "no_connection"


def test_publish_needs_the_right_to_publish(world, api_as, xero_bill):
    item = make_item(world.a)
    response = api_as(world.users["standard"]).post(url(world.a, f"items/{item.id}/publish/"))
    assert response.status_code == 403 and response.json()["code"] == "not_allowed"
    item.refresh_from_db()
    assert item.state == ItemState.READY


# ---------------------------------------------------------------- list


def test_list_filters_by_kind_state_integration_supplier_and_q(world, api_as, xero_bill):
    xero, bill = xero_bill
    paper = make_item(world.a, contact="Paper Co", invoice_number="PAP-1")
    make_item(world.a, contact="Ink Ltd", invoice_number="INK-1", ready=False)
    claim = make_item(world.a, kind=ItemKind.EXPENSE_CLAIM, contact="Metro Rail")
    sales = make_item(world.a, kind=ItemKind.SALES, contact="Bluebell Interiors")
    client = api_as(world.users["standard"])

    def ids(query):
        response = client.get(url(world.a, f"items/?{query}"))
        assert response.status_code == 200, response.content
        return {r["id"] for r in response.json()["results"]}

    assert ids("kind=sales") == {str(sales.id)}
    assert ids("kind=cost&state=ready") == {str(paper.id)}
    assert ids(f"integration={xero.id}") == {str(claim.id), str(sales.id)}
    assert ids(f"supplier={paper.supplier_id}") == {str(paper.id)}
    assert ids("q=pap-1") == {str(paper.id)}
    assert ids("q=bluebell") == {str(sales.id)}


@pytest.mark.parametrize("query", ["kind=invoice", "state=done", "supplier=not-an-id", "page_size=500"])
def test_list_refuses_bad_filters(world, api_as, query):
    response = api_as(world.users["standard"]).get(url(world.a, f"items/?{query}"))
    assert response.status_code == 400 and response.json()["code"] == "invalid"


def test_keyset_pages_have_no_duplicates_and_no_gaps(world, api_as):
    make_item(world.a)
    supplier = Item.objects.for_business(world.a).get().supplier
    Item.objects.unscoped().bulk_create(
        [Item(business=world.a, kind=ItemKind.COST, supplier=supplier, invoice_number=f"N-{n}") for n in range(56)]
    )
    # Some rows share a created_at to the microsecond: the id breaks the tie.
    tied = list(Item.objects.for_business(world.a).values_list("pk", flat=True)[:10])
    Item.objects.for_business(world.a).filter(pk__in=tied).update(created_at="2026-11-01T10:00:00Z")
    client = api_as(world.users["standard"])
    seen, next_url, pages = [], url(world.a, "items/?page_size=10"), 0
    while next_url:
        body = client.get(next_url).json()
        seen += [r["id"] for r in body["results"]]
        next_url = body["next"]
        pages += 1
    assert pages == 6
    assert len(seen) == len(set(seen)) == 57
    expected = list(Item.objects.for_business(world.a).order_by("-created_at", "-id").values_list("pk", flat=True))
    assert seen == [str(i) for i in expected]


def test_a_bad_cursor_is_a_400(world, api_as):
    response = api_as(world.users["standard"]).get(url(world.a, "items/?cursor=%%%"))
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert response.json()["errors"] == {"cursor": ["Not a cursor of this list."]}


def test_item_source_words_for_a_supplier_rule(world, api_as, xero_bill):
    """The JSON carries the source; the page turns it into words (see test_pages)."""
    xero, _ = xero_bill
    client = api_as(world.users["business_admin"])
    supplier = client.post(url(world.a, "suppliers/"), {"name": "Office Supplies Co"}, format="json").json()
    client.post(
        url(world.a, "supplier-rules/"), {"supplier": supplier["id"], "integration": str(xero.id)}, format="json"
    )
    body = client.post(url(world.a, "items/"), {"kind": "cost", "supplier": "office supplies co"}, format="json").json()
    assert body["supplier"]["id"] == supplier["id"], "names match ignoring case"
    assert body["integration_source"] == IntegrationSource.SUPPLIER_RULE
