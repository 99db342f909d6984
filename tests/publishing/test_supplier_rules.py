"""Suppliers and supplier rules (API.md, DESIGN.md §5): CRUD, refusals, and applying a rule to the inbox."""

from datetime import date

import pytest

from accounts.models import AuditLogEntry
from integrations.lists.models import ListKind
from integrations.models import Connection, ProviderKind
from integrations.providers import registry
from integrations.providers.base import AuthKind, ItemKind, Provider
from publishing.models import IntegrationSource, Item, ItemHistory, ItemState, Supplier, SupplierRule
from publishing.services import item_set_integration, supplier_get_or_create
from tests.lists import entry
from tests.publishing.conftest import make_item


def url(business, path):
    return f"/api/v1/businesses/{business.id}/{path}"


def _rule(client, business, supplier_name="Office Supplies Co", **fields):
    supplier = supplier_get_or_create(business=business, name=supplier_name)
    return client.post(url(business, "supplier-rules/"), {"supplier": str(supplier.id), **fields}, format="json")


# ---------------------------------------------------------------- suppliers


def test_suppliers_list_and_create(world, api_as):
    client = api_as(world.users["standard"])
    response = client.post(url(world.a, "suppliers/"), {"name": "  Office   Supplies Co "}, format="json")
    assert response.status_code == 201
    assert response.json()["name"] == "Office Supplies Co"
    supplier_get_or_create(business=world.b, name="Bravo's Own Supplier")
    names = [s["name"] for s in client.get(url(world.a, "suppliers/")).json()["results"]]
    assert names == ["Office Supplies Co"], "another tenant's supplier leaked"


def test_supplier_refusal_supplier_exists_ignores_case(world, api_as):
    client = api_as(world.users["standard"])
    client.post(url(world.a, "suppliers/"), {"name": "Office Supplies Co"}, format="json")
    response = client.post(url(world.a, "suppliers/"), {"name": "OFFICE supplies co"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "supplier_exists"


def test_the_same_supplier_name_in_another_business_is_fine(world, api_as):
    supplier_get_or_create(business=world.b, name="Office Supplies Co")
    response = api_as(world.users["standard"]).post(
        url(world.a, "suppliers/"), {"name": "Office Supplies Co"}, format="json"
    )
    assert response.status_code == 201


@pytest.mark.parametrize("payload", [{"name": ""}, {"name": "   "}, {}, {"name": ["x"]}])
def test_supplier_refusal_invalid(world, api_as, payload):
    response = api_as(world.users["standard"]).post(url(world.a, "suppliers/"), payload, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"


# ---------------------------------------------------------------- rules: CRUD and refusals


def test_rule_create_read_update_delete_with_every_field(world, api_as, xero_bill):
    xero, bill = xero_bill
    client = api_as(world.users["business_admin"])
    response = _rule(
        client,
        world.a,
        integration=str(xero.id),
        category="461 Printing & Stationery",
        tax_rate="20% (VAT on Expenses)",
        payment_method="Bank transfer",
        paid=False,
        due_in_days=30,
        description="Stationery",
        currency="gbp",
        auto_publish="never",
        publish_as="bill",
    )
    assert response.status_code == 201, response.content
    rule = response.json()
    assert rule["integration"] == str(xero.id)
    # Coded against Xero's chart: the rule shows the account by its code (API.md).
    assert (rule["category"], rule["due_in_days"], rule["currency"], rule["auto_publish"], rule["paid"]) == (
        "461",
        30,
        "GBP",
        "never",
        False,
    )
    assert client.get(url(world.a, f"supplier-rules/{rule['id']}/")).json() == rule
    assert [r["id"] for r in client.get(url(world.a, "supplier-rules/")).json()["results"]] == [rule["id"]]

    patched = client.patch(
        url(world.a, f"supplier-rules/{rule['id']}/"), {"integration": None, "auto_publish": None}, format="json"
    ).json()
    assert patched["integration"] is None and patched["auto_publish"] is None
    # No integration of its own: the rule is coded from the default's (Bill.com's) chart, by the same code.
    assert patched["category"] == "461"
    assert patched["category_id"] == str(entry(bill, ListKind.ACCOUNTS, "461").id)

    assert client.delete(url(world.a, f"supplier-rules/{rule['id']}/")).status_code == 204
    assert not SupplierRule.objects.for_business(world.a).exists()
    actions = list(AuditLogEntry.objects.for_business(world.a).order_by("id").values_list("action", flat=True))
    assert [a for a in actions if a.startswith("supplier_rule.")] == [
        "supplier_rule.created",
        "supplier_rule.updated",
        "supplier_rule.deleted",
    ]


def test_rule_refusal_rule_exists(world, api_as):
    client = api_as(world.users["business_admin"])
    assert _rule(client, world.a).status_code == 201
    response = _rule(client, world.a)
    assert response.status_code == 409 and response.json()["code"] == "rule_exists"


def test_rule_refusal_rule_exists_when_moving_a_rule_to_a_supplier_that_has_one(world, api_as):
    client = api_as(world.users["business_admin"])
    first = _rule(client, world.a, "Paper Co").json()
    _rule(client, world.a, "Ink Ltd")
    ink = Supplier.objects.for_business(world.a).get(name="Ink Ltd")
    response = client.patch(url(world.a, f"supplier-rules/{first['id']}/"), {"supplier": str(ink.id)}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "rule_exists"


def test_rule_refusal_invalid_connection(world, api_as, connect):
    theirs = connect(world.b, "xero")
    client = api_as(world.users["business_admin"])
    response = _rule(client, world.a, integration=str(theirs.id))
    assert response.status_code == 400 and response.json()["code"] == "invalid_connection"


def test_rule_refusal_invalid_connection_for_a_disconnected_one(world, api_as, connect):
    from integrations.services import connection_disconnect

    connect(world.a, "xero")
    bill = connect(world.a, "bill_com")
    connection_disconnect(business=world.a, connection_id=bill.id, actor=None)
    response = _rule(api_as(world.users["business_admin"]), world.a, integration=str(bill.id))
    assert response.status_code == 400 and response.json()["code"] == "invalid_connection"


class SalesOnly(Provider):
    """A provider that takes no costs (registered only in this test)."""

    key = "sales_only_test"
    name = "Sales Only"
    kind = ProviderKind.ADDITIONAL
    auth = AuthKind.CREDENTIALS
    item_kinds = (ItemKind.SALES,)

    def client(self, connection):
        raise NotImplementedError


def test_rule_refusal_kind_not_supported(world, api_as, monkeypatch, connect):
    connect(world.a, "xero")
    monkeypatch.setitem(registry._PROVIDERS, SalesOnly.key, SalesOnly())
    sales_only = Connection.objects.create(business=world.a, provider=SalesOnly.key, kind=ProviderKind.ADDITIONAL)
    response = _rule(api_as(world.users["business_admin"]), world.a, integration=str(sales_only.id))
    assert response.status_code == 400 and response.json()["code"] == "kind_not_supported"
    assert "Sales Only does not take costs" in response.json()["detail"]


def test_rule_refusal_unknown_supplier_is_invalid(world, api_as):
    theirs = supplier_get_or_create(business=world.b, name="Bravo Supplier")
    response = api_as(world.users["business_admin"]).post(
        url(world.a, "supplier-rules/"), {"supplier": str(theirs.id)}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert "supplier" in response.json()["errors"]


@pytest.mark.parametrize("role", ["standard", "standard_publisher"])
def test_rule_writes_need_the_right_to_edit_supplier_rules(world, api_as, role):
    admin_rule = _rule(api_as(world.users["business_admin"]), world.a).json()
    client = api_as(world.users[role])
    assert client.get(url(world.a, "supplier-rules/")).status_code == 200, "everyone who sees the business may read"
    refused = [
        _rule(client, world.a, "Other Co"),
        client.patch(url(world.a, f"supplier-rules/{admin_rule['id']}/"), {"category": "x"}, format="json"),
        client.delete(url(world.a, f"supplier-rules/{admin_rule['id']}/")),
    ]
    assert [r.status_code for r in refused] == [403, 403, 403]
    assert {r.json()["code"] for r in refused} == {"not_allowed"}
    assert SupplierRule.objects.for_business(world.a).get().category == ""


@pytest.mark.parametrize(
    "role", ["user_admin", "practice_practice_admin", "practice_client_admin", "practice_standard"]
)
def test_admins_and_practice_users_may_edit_rules(world, api_as, role):
    assert _rule(api_as(world.users[role]), world.a).status_code == 201


# ---------------------------------------------------------------- applying rules


def test_a_new_item_gets_the_rules_fields(world, xero_bill):
    xero, _ = xero_bill
    supplier = supplier_get_or_create(business=world.a, name="Office Supplies Co")
    SupplierRule.objects.create(
        business=world.a,
        supplier=supplier,
        integration=xero,
        category="461 Printing & Stationery",
        tax_rate="20% (VAT on Expenses)",
        payment_method="Bank transfer",
        paid=True,
        due_in_days=30,
        description="Stationery",
        publish_as="bill",
    )
    item = make_item(world.a, contact="Office Supplies Co", category="", date="2026-11-02")
    item.refresh_from_db()
    assert item.category == "461", "coded from the rule's Xero account, shown by its code"
    assert (item.tax_rate, item.payment_method, item.paid, item.description, item.publish_as) == (
        "INPUT2",
        "Bank transfer",
        True,
        "Stationery",
        "bill",
    )
    assert item.due_date == date(2026, 12, 2)
    assert item.state == ItemState.READY, "the rule's category completes the item"
    assert (item.integration_id, item.integration_source) == (xero.id, IntegrationSource.SUPPLIER_RULE)


def test_apply_to_inbox_re_points_unpublished_non_manual_items_only(world, api_as, xero_bill):
    xero, bill = xero_bill
    admin = world.users["business_admin"]
    waiting = make_item(world.a, contact="Office Supplies Co", ready=False)
    ready = make_item(world.a, contact="Office Supplies Co", category="Old")
    manual = make_item(world.a, contact="Office Supplies Co", category="Old")
    item_set_integration(business=world.a, actor=admin, item_id=manual.pk, connection_id=bill.pk)
    published = make_item(world.a, contact="Office Supplies Co", category="Old")
    Item.objects.for_business(world.a).filter(pk=published.pk).update(state=ItemState.PUBLISHED)
    other = make_item(world.a, contact="Someone Else", category="Old")

    response = _rule(
        api_as(admin), world.a, integration=str(xero.id), category="461 Printing & Stationery", apply_to_inbox=True
    )
    assert response.status_code == 201, response.content

    for item in (waiting, ready, manual, published, other):
        item.refresh_from_db()
    assert (waiting.integration_id, waiting.integration_source) == (xero.id, IntegrationSource.SUPPLIER_RULE)
    assert waiting.category == "461" and waiting.state == ItemState.READY  # Xero's account, by its code
    assert (ready.integration_id, ready.category) == (xero.id, "461")
    assert (manual.integration_id, manual.integration_source, manual.category) == (
        bill.id,
        IntegrationSource.MANUAL,
        "Old",
    ), "a hand-made choice is not overridden"
    assert (published.integration_id, published.category) == (bill.id, "Old"), "published items stay as they were"
    assert (other.integration_id, other.category) == (bill.id, "Old"), "another supplier's items are untouched"

    reasons = set(
        ItemHistory.objects.for_business(world.a).filter(item=waiting).values_list("field", "reason").distinct()
    )
    assert ("category", "Supplier rule Office Supplies Co applied") in reasons
    assert ("state", "Supplier rule Office Supplies Co applied") in reasons
    assert ("integration", "Supplier rule Office Supplies Co applied") in reasons


def test_saving_a_rule_without_apply_to_inbox_leaves_the_inbox_alone(world, api_as, xero_bill):
    xero, bill = xero_bill
    item = make_item(world.a, contact="Office Supplies Co", category="Old")
    _rule(api_as(world.users["business_admin"]), world.a, integration=str(xero.id), category="New")
    item.refresh_from_db()
    assert (item.integration_id, item.category) == (bill.id, "Old")


def test_apply_to_inbox_on_patch(world, api_as, xero_bill):
    xero, bill = xero_bill
    client = api_as(world.users["business_admin"])
    rule = _rule(client, world.a).json()
    item = make_item(world.a, contact="Office Supplies Co")
    assert item.integration_id == bill.id
    client.patch(
        url(world.a, f"supplier-rules/{rule['id']}/"),
        {"integration": str(xero.id), "due_in_days": 14, "apply_to_inbox": True},
        format="json",
    )
    item.refresh_from_db()
    assert (item.integration_id, item.integration_source) == (xero.id, IntegrationSource.SUPPLIER_RULE)
    assert item.due_date == date(2026, 11, 16)


def test_a_new_item_takes_the_rules_currency_unless_one_is_given(world):
    supplier = supplier_get_or_create(business=world.a, name="Euro Parts GmbH")
    SupplierRule.objects.create(business=world.a, supplier=supplier, currency="EUR")
    assert make_item(world.a, contact="Euro Parts GmbH").currency == "EUR"
    assert make_item(world.a, contact="Euro Parts GmbH", currency="USD").currency == "USD"
