"""The pages: Costs inbox, Expense claims, Sales, Item details, Upload and Supplier rules."""

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integrations.lists.models import ListKind
from publishing.models import IntegrationSource, Item, ItemHistory, ItemKind, ItemState, PublishJob, SupplierRule
from publishing.services import item_set_integration, supplier_get_or_create
from tests.lists import entry
from tests.publishing.conftest import make_item

HTMX = {"HTTP_HX_REQUEST": "true"}


def page(name, business, **kwargs):
    return reverse(name, kwargs={"business_id": business.id, **kwargs})


def _fill(business, count, supplier_name="Paper Co", **fields):
    make_item(business, contact=supplier_name)
    supplier = Item.objects.for_business(business).filter(supplier__name=supplier_name).first().supplier
    values = {"kind": ItemKind.COST, "state": ItemState.READY, "supplier": supplier, "total": 12, "category": "429"}
    values.update(fields)
    Item.objects.unscoped().bulk_create([Item(business=business, **values) for _ in range(count - 1)])


# ---------------------------------------------------------------- the inbox


def test_inbox_tabs_columns_and_rows(client, world, xero_bill):
    make_item(world.a, contact="Office Supplies Co", invoice_number="OFF-1", total="1234.50", tax="205.75")
    make_item(world.a, contact="Waiting Ltd", ready=False)
    client.force_login(world.users["business_admin"])
    ready = client.get(page("costs_inbox", world.a) + "?tab=ready").content.decode()
    for heading in ("Status", "Date", "Supplier", "Invoice no.", "Category", "Total", "Tax", "Integration"):
        assert f">{heading}</th>" in ready
    assert "Office Supplies Co" in ready and "OFF-1" in ready
    assert "1,234.50" in ready and "GBP" in ready and "205.75" in ready
    assert "Waiting Ltd</a>" not in ready
    review = client.get(page("costs_inbox", world.a)).content.decode()
    assert "Waiting Ltd</a>" in review and "Office Supplies Co</a>" not in review
    assert 'data-testid="tab-to_review"' in review and "Archived" in review


def test_queued_and_publishing_items_show_under_ready_with_their_badge(client, world, xero_bill):
    queued, publishing = make_item(world.a, contact="Q Ltd"), make_item(world.a, contact="P Ltd")
    Item.objects.for_business(world.a).filter(pk=queued.pk).update(state=ItemState.QUEUED)
    Item.objects.for_business(world.a).filter(pk=publishing.pk).update(state=ItemState.PUBLISHING)
    client.force_login(world.users["business_admin"])
    content = client.get(page("costs_inbox", world.a) + "?tab=ready").content.decode()
    assert "state-queued" in content and ">Queued<" in content
    assert "state-publishing" in content and ">Publishing<" in content


def test_the_integration_column_shows_only_with_more_than_one_active_connection(client, world, connect):
    connect(world.a, "xero")
    make_item(world.a)
    client.force_login(world.users["business_admin"])
    assert ">Integration</th>" not in client.get(page("costs_inbox", world.a) + "?tab=ready").content.decode()
    connect(world.a, "bill_com")
    assert ">Integration</th>" in client.get(page("costs_inbox", world.a) + "?tab=ready").content.decode()


def test_a_failed_publish_shows_a_marker_with_the_error_on_hover(client, world, xero_bill):
    item = make_item(world.a)
    Item.objects.for_business(world.a).filter(pk=item.pk).update(last_publish_error="Bill.com refused: no bank details")
    client.force_login(world.users["business_admin"])
    content = client.get(page("costs_inbox", world.a) + "?tab=ready").content.decode()
    assert 'title="The last publish failed: Bill.com refused: no bank details"' in content


def test_filters_and_search(client, world, xero_bill):
    xero, bill = xero_bill
    paper = make_item(world.a, contact="Paper Co", invoice_number="PAP-77")
    ink = make_item(world.a, contact="Ink Ltd", invoice_number="INK-1")
    item_set_integration(business=world.a, actor=None, item_id=ink.pk, connection_id=xero.pk)
    client.force_login(world.users["business_admin"])
    base = page("costs_inbox", world.a) + "?tab=ready"
    by_supplier = client.get(f"{base}&supplier={paper.supplier_id}").content.decode()
    assert "PAP-77" in by_supplier and "INK-1" not in by_supplier
    by_integration = client.get(f"{base}&integration={xero.id}").content.decode()
    assert "INK-1" in by_integration and "PAP-77" not in by_integration
    assert "PAP-77" in client.get(f"{base}&q=pap").content.decode()
    assert "Nothing matches" in client.get(f"{base}&q=zzz").content.decode()


def test_keyset_pages_of_the_inbox_have_no_duplicates_or_gaps(client, world, xero_bill):
    _fill(world.a, 120)
    client.force_login(world.users["business_admin"])
    seen, url = [], page("costs_inbox", world.a) + "?tab=ready"
    import re

    while url:
        content = client.get(url).content.decode()
        seen += re.findall(r'data-item="([0-9a-f-]+)"', content)
        found = re.search(r'href="([^"]+)" rel="next"', content)
        url = found.group(1).replace("&amp;", "&") if found else None
    assert len(seen) == len(set(seen)) == 120
    expected = [
        str(i) for i in Item.objects.for_business(world.a).order_by("-created_at", "-id").values_list("pk", flat=True)
    ]
    assert seen == expected


def test_the_ready_tab_pages_through_ready_queued_and_publishing_items_without_gaps(client, world, xero_bill):
    """The Ready tab reads ready items and in-flight ones separately and merges them page by page."""
    from datetime import timedelta

    from django.utils import timezone

    _fill(world.a, 130)
    now = timezone.now()
    states = [ItemState.READY, ItemState.QUEUED, ItemState.READY, ItemState.PUBLISHING, ItemState.READY]
    for n, pk in enumerate(Item.objects.for_business(world.a).order_by("id").values_list("pk", flat=True)):
        Item.objects.for_business(world.a).filter(pk=pk).update(
            state=states[n % len(states)], created_at=now - timedelta(minutes=n // 2)
        )
    client.force_login(world.users["business_admin"])
    seen, url = [], page("costs_inbox", world.a) + "?tab=ready"
    import re

    while url:
        content = client.get(url).content.decode()
        seen += re.findall(r'data-item="([0-9a-f-]+)"', content)
        found = re.search(r'href="([^"]+)" rel="next"', content)
        url = found.group(1).replace("&amp;", "&") if found else None
    expected = [
        str(i) for i in Item.objects.for_business(world.a).order_by("-created_at", "-id").values_list("pk", flat=True)
    ]
    assert seen == expected, "no duplicates, no gaps, newest first across the merged states"


@pytest.mark.parametrize("count", [20, 200])
def test_the_inbox_page_costs_at_most_12_queries(client, world, xero_bill, count):
    _fill(world.a, count)
    client.force_login(world.users["business_admin"])
    with CaptureQueriesContext(db) as queries:
        response = client.get(page("costs_inbox", world.a) + "?tab=ready")
    assert response.status_code == 200
    # 12, and one for which of the integrations' lists are synced (Xero keeps lists): the same at any count.
    assert len(queries.captured_queries) <= 13, "\n".join(q["sql"][:150] for q in queries.captured_queries)


def test_the_inbox_query_count_does_not_grow_with_the_data(client, world, xero_bill):
    client.force_login(world.users["business_admin"])

    def count():
        with CaptureQueriesContext(db) as queries:
            client.get(page("costs_inbox", world.a) + "?tab=ready")
        return len(queries.captured_queries)

    _fill(world.a, 20)
    small = count()
    _fill(world.a, 180, supplier_name="Ink Ltd")
    supplier = supplier_get_or_create(business=world.a, name="Ruled Co")
    SupplierRule.objects.create(business=world.a, supplier=supplier)
    assert count() == small


# ---------------------------------------------------------------- the Integration cell, inline


def test_inline_integration_change_answers_the_re_rendered_row(client, world, xero_bill):
    xero, _ = xero_bill
    item = make_item(world.a)
    client.force_login(world.users["standard_publisher"])
    response = client.post(page("item_integration", world.a, item_id=item.id), {"integration": xero.id}, **HTMX)
    assert response.status_code == 200
    content = response.content.decode()
    assert content.startswith("<tr") and f'id="item-{item.id}"' in content
    assert "Saved · chosen by" in content
    item.refresh_from_db()
    assert (item.integration_id, item.integration_source) == (xero.id, IntegrationSource.MANUAL)


def test_inline_refusal_is_shown_in_the_row(client, world, xero_bill):
    _, bill = xero_bill
    sales = make_item(world.a, kind=ItemKind.SALES, contact="Bluebell Interiors")
    client.force_login(world.users["business_admin"])
    response = client.post(page("item_integration", world.a, item_id=sales.id), {"integration": bill.id}, **HTMX)
    content = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="integration-refusal">Sales always go to the main accounting software (Xero).' in content


def test_inline_refusal_on_the_item_page_field(client, world, connect):
    qbd = connect(world.a, "quickbooks_desktop")
    connect(world.a, "bill_com")
    claim = make_item(world.a, kind=ItemKind.EXPENSE_CLAIM)
    client.force_login(world.users["business_admin"])
    response = client.post(
        page("item_integration", world.a, item_id=claim.id), {"integration": qbd.id, "render": "field"}, **HTMX
    )
    content = response.content.decode()
    assert content.startswith('<div id="integration-field"')
    assert "QuickBooks Desktop does not take expense claims." in content


def test_without_the_right_to_publish_the_integration_is_read_only_and_posts_are_403(client, world, xero_bill):
    xero, bill = xero_bill
    item = make_item(world.a)
    client.force_login(world.users["standard"])
    content = client.get(page("costs_inbox", world.a) + "?tab=ready").content.decode()
    assert 'data-testid="integration-select"' not in content and "Bill.com" in content
    assert ">Publish<" not in content and "Change integration" not in content
    response = client.post(page("item_integration", world.a, item_id=item.id), {"integration": xero.id}, **HTMX)
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.integration_id == bill.id


# ---------------------------------------------------------------- bulk from the page


def test_bulk_change_from_the_page(client, world, xero_bill):
    xero, _ = xero_bill
    items = [make_item(world.a) for _ in range(3)]
    sales = make_item(world.a, kind=ItemKind.SALES, contact="Bluebell")
    client.force_login(world.users["business_admin"])
    back = page("costs_inbox", world.a) + "?tab=ready"
    response = client.post(
        page("items_bulk", world.a),
        {"ids": [i.id for i in items], "action": "set_integration", "integration": xero.id, "next": back},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == back
    assert "3 items moved." in response.content.decode()
    assert {i.integration_id for i in Item.objects.for_business(world.a).filter(kind=ItemKind.COST)} == {xero.id}
    response = client.post(
        page("items_bulk", world.a),
        {"ids": [sales.id], "action": "set_integration", "integration": xero_bill[1].id, "next": back},
        follow=True,
    )
    assert "1 item was refused: Sales always go to the main accounting software (Xero)." in response.content.decode()


def test_bulk_actions_from_the_page_are_guarded(client, world, xero_bill):
    xero, _ = xero_bill
    item = make_item(world.a)
    client.force_login(world.users["standard"])
    assert client.post(page("items_bulk", world.a), {"ids": [item.id], "action": "publish"}).status_code == 403
    refused = client.post(
        page("items_bulk", world.a), {"ids": [item.id], "action": "set_integration", "integration": xero.id}
    )
    assert refused.status_code == 403
    assert client.post(page("items_bulk", world.a), {"ids": [item.id], "action": "archive"}).status_code == 302
    item.refresh_from_db()
    assert item.state == ItemState.ARCHIVED


def test_the_next_url_of_a_bulk_action_cannot_leave_the_site(client, world, xero_bill):
    item = make_item(world.a)
    client.force_login(world.users["business_admin"])
    response = client.post(
        page("items_bulk", world.a), {"ids": [item.id], "action": "archive", "next": "https://evil.example/"}
    )
    assert response["Location"] == page("costs_inbox", world.a)


# ---------------------------------------------------------------- item details


def test_item_page_shows_the_source_in_words(client, world, xero_bill):
    xero, bill = xero_bill
    supplier = supplier_get_or_create(business=world.a, name="Office Supplies Co")
    SupplierRule.objects.create(business=world.a, supplier=supplier, integration=xero)
    ruled = make_item(world.a, contact="Office Supplies Co")
    default = make_item(world.a)
    manual = make_item(world.a)
    item_set_integration(
        business=world.a, actor=world.users["business_admin"], item_id=manual.pk, connection_id=xero.pk
    )
    sales = make_item(world.a, kind=ItemKind.SALES, contact="Bluebell")
    client.force_login(world.users["business_admin"])

    def source(item):
        content = client.get(page("item_detail", world.a, item_id=item.id)).content.decode()
        return content.split('data-testid="integration-source">', 1)[1].split("<", 1)[0]

    assert source(ruled) == "Source: set by supplier rule Office Supplies Co"
    assert source(default) == "Source: default"
    assert source(manual) == f"Source: chosen by {world.users['business_admin'].display_name}"
    assert source(sales) == "Source: sales always go to the main connection"
    Item.objects.for_business(world.a).filter(pk=default.pk).update(integration_source=IntegrationSource.MAIN)
    assert source(default) == "Source: main connection"


def test_item_page_history_names_connections_newest_first(client, world, xero_bill):
    xero, bill = xero_bill
    item = make_item(world.a)
    item_set_integration(business=world.a, actor=world.users["business_admin"], item_id=item.pk, connection_id=xero.pk)
    client.force_login(world.users["business_admin"])
    content = client.get(page("item_detail", world.a, item_id=item.id)).content.decode()
    history = content.split('data-testid="history"', 1)[1]
    assert "Bill.com</span> → Xero" in history
    assert str(xero.id) not in history, "connection ids are shown as names"
    assert history.index("Chosen by hand") < history.index("Created (Cost)"), "newest first"


def test_item_page_edits_every_field(client, world, xero_bill):
    _, bill = xero_bill
    item = make_item(world.a, ready=False)
    advertising = entry(bill, ListKind.ACCOUNTS, "400")  # the item's ledger (Bill.com) keeps a chart: a picker
    client.force_login(world.users["standard"])
    response = client.post(
        page("item_detail", world.a, item_id=item.id),
        {
            "contact_name": "New Supplier Ltd",
            "date": "2026-11-03",
            "due_date": "2026-12-03",
            "invoice_number": "NS-1",
            "currency": "eur",
            "total": "50.00",
            "tax": "10.00",
            "category_id": str(advertising.id),
            "tax_rate": "20%",
            "payment_method": "Card",
            "paid": "on",
            "description": "Flyers",
            "publish_as": "bill",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    item.refresh_from_db()
    assert item.supplier.name == "New Supplier Ltd" and item.currency == "EUR" and item.paid
    assert (item.invoice_number, item.category_entry_id, item.category, item.publish_as, item.state) == (
        "NS-1",
        advertising.id,
        "400",  # the entry's code: its words are the ledger's
        "bill",
        ItemState.READY,
    )
    assert item.tax_rate == "20%", "Bill.com keeps no tax rates: the words stay"
    assert ItemHistory.objects.for_business(world.a).filter(item=item, field="supplier").exists()


def test_item_page_shows_form_errors(client, world, xero_bill):
    item = make_item(world.a)
    client.force_login(world.users["standard"])
    response = client.post(page("item_detail", world.a, item_id=item.id), {"total": "lots", "currency": "GBP"})
    assert response.status_code == 400
    assert "Enter a number." in response.content.decode()


def test_item_page_publish_shows_not_ready_with_the_missing_fields(client, world, xero_bill):
    item = make_item(world.a, ready=False)
    client.force_login(world.users["business_admin"])
    response = client.post(page("item_publish", world.a, item_id=item.id), follow=True)
    assert "Not ready to publish: fill in category first." in response.content.decode()


def test_item_page_publish_queues_on_the_interactive_queue(client, world, xero_bill, no_broker):
    item = make_item(world.a)
    client.force_login(world.users["business_admin"])
    response = client.post(page("item_publish", world.a, item_id=item.id), follow=True)
    assert "Queued for publishing to Bill.com." in response.content.decode()
    assert PublishJob.objects.for_business(world.a).get(item=item).queue == "publish_interactive"


def test_item_page_shows_the_last_publish_error(client, world, xero_bill):
    item = make_item(world.a)
    Item.objects.for_business(world.a).filter(pk=item.pk).update(
        last_publish_error="Xero said: Account code 429 is archived"
    )
    client.force_login(world.users["business_admin"])
    content = client.get(page("item_detail", world.a, item_id=item.id)).content.decode()
    assert 'data-testid="publish-error-panel"' in content and "Account code 429 is archived" in content


def test_item_page_of_a_sales_item_explains_the_main_connection(client, world, xero_bill):
    sales = make_item(world.a, kind=ItemKind.SALES, contact="Bluebell")
    client.force_login(world.users["business_admin"])
    content = client.get(page("item_detail", world.a, item_id=sales.id)).content.decode()
    assert "sales always go to the main connection</span>, so it cannot change" in content


def test_publish_needs_the_right_to_publish(client, world, xero_bill):
    item = make_item(world.a)
    client.force_login(world.users["standard"])
    assert client.post(page("item_publish", world.a, item_id=item.id)).status_code == 403
    assert (
        'data-testid="publish-button"' not in client.get(page("item_detail", world.a, item_id=item.id)).content.decode()
    )


def test_archive_from_the_item_page(client, world, xero_bill):
    item = make_item(world.a)
    client.force_login(world.users["standard"])
    client.post(page("item_archive", world.a, item_id=item.id))
    item.refresh_from_db()
    assert item.state == ItemState.ARCHIVED


# ---------------------------------------------------------------- supplier rules pages


def test_supplier_rule_pages_create_edit_delete(client, world, xero_bill):
    xero, bill = xero_bill
    waiting = make_item(world.a, contact="Swift Couriers", ready=False)
    client.force_login(world.users["business_admin"])
    form = client.get(page("supplier_rule_create", world.a)).content.decode()
    assert "No rule — use the default" in form and "Apply to inbox items" in form
    response = client.post(
        page("supplier_rule_create", world.a),
        {
            "supplier_name": "Swift Couriers",
            "integration": xero.id,
            "category_id": str(entry(xero, ListKind.ACCOUNTS, "425").pk),  # Xero's account, from the picker
            "apply_to_inbox": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    rule = SupplierRule.objects.for_business(world.a).get()
    waiting.refresh_from_db()
    assert (waiting.integration_id, waiting.category, waiting.state) == (xero.id, "425", ItemState.READY)
    listing = client.get(page("supplier_rules", world.a)).content.decode()
    assert "Swift Couriers" in listing and "Xero" in listing

    response = client.post(
        page("supplier_rule_edit", world.a, rule_id=rule.id),
        {"supplier_name": "Swift Couriers", "integration": "", "category": "425 Freight", "due_in_days": "14"},
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert rule.integration_id is None and rule.due_in_days == 14

    again = client.post(page("supplier_rule_create", world.a), {"supplier_name": "swift couriers"})
    assert again.status_code == 400 and "already has a supplier rule" in again.content.decode()

    client.post(page("supplier_rule_delete", world.a, rule_id=rule.id))
    assert not SupplierRule.objects.for_business(world.a).exists()


def test_supplier_rules_are_read_only_without_the_right(client, world, xero_bill):
    supplier = supplier_get_or_create(business=world.a, name="Paper Co")
    rule = SupplierRule.objects.create(business=world.a, supplier=supplier, category="429")
    client.force_login(world.users["standard_publisher"])
    content = client.get(page("supplier_rules", world.a)).content.decode()
    assert 'data-testid="read-only-note"' in content and "New rule" not in content and ">Delete<" not in content
    forged = [
        client.get(page("supplier_rule_create", world.a)),
        client.post(page("supplier_rule_create", world.a), {"supplier_name": "X"}),
        client.post(page("supplier_rule_edit", world.a, rule_id=rule.id), {"supplier_name": "Paper Co"}),
        client.post(page("supplier_rule_delete", world.a, rule_id=rule.id)),
    ]
    assert [r.status_code for r in forged] == [403] * 4
    assert SupplierRule.objects.for_business(world.a).get().category == "429"


def test_the_sidebar_links_supplier_rules_under_business_settings(client, world):
    client.force_login(world.users["standard"])
    content = client.get(page("costs_inbox", world.a)).content.decode()
    settings_part = content.split("Business settings", 1)[1]
    assert f'href="{page("supplier_rules", world.a)}">Supplier rules</a>' in settings_part
