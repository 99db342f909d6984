"""QuickBooks Desktop behind the Provider interface: a pull client that walks a PublishDocument through its qbXML
steps, with no ORM object in sight (publishing keeps the jobs and their steps; see publishing/web_connector.py).
Documents are coded from the lists a sync read out of the same (fake) company file."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from integrations.lists.models import ListKind
from integrations.providers import registry
from integrations.providers.base import Delivery, ExternalRef, ValidationError
from integrations.providers.document import Coding, PublishDocument
from integrations.providers.quickbooks_desktop import QuickBooksDesktop
from integrations.providers.quickbooks_desktop.client import ADD, QUERY, VENDOR, VENDOR_ADD
from integrations.qbwc.xmlsafe import parse_xml
from integrations.sandbox import selectors as sandbox
from tests.integrations.qbwc.fake_web_connector import FakeQuickBooks, QuickBooksError, create_web_connector_connection
from tests.integrations.qbwc.lists_sync import coding, sync_lists

A, P, T, PR = ListKind.ACCOUNTS, ListKind.PAYMENT_ACCOUNTS, ListKind.TAX_RATES, ListKind.PRODUCTS


def document(**fields) -> PublishDocument:
    values = {
        "reference": "3f2c6a3e-0000-4000-8000-000000000001",
        "idempotency_key": "k",
        "kind": "cost",
        "contact_name": "Paper Co",
        "date": date(2026, 11, 2),
        "due_date": None,
        "invoice_number": "INV-9",
        "currency": "USD",
        "total": Decimal("120.00"),
        "tax": None,
        "category": "Office Supplies",
        "tax_rate": "",
        "description": "",
        "payment_method": "",
        "paid": False,
        "publish_as": "",
    }
    return PublishDocument(**(values | fields))


@pytest.fixture
def qbd(world, client):
    """A QuickBooks Desktop connection whose lists were synced from the sample US company file."""
    connection, password = create_web_connector_connection(business=world.a)
    sync_lists(client, connection, password, FakeQuickBooks())
    return connection


@pytest.fixture
def pull(qbd):
    return registry.get(qbd.provider).pull_client(qbd)


@pytest.fixture
def coded(qbd):
    """``coded(account, **fields)``: a document coded with the synced account of that full name."""

    def make(account="Office Supplies", **fields):
        return document(category_ref=coding(qbd, A, account), **fields)

    return make


def walk(pull, qb, doc):
    """Every step of ``doc`` against ``qb``: (steps taken, final answer)."""
    step, seen = pull.first_step(doc), []
    while True:
        seen.append(step)
        answer = pull.read_response(doc, step, qb.process(pull.next_request(doc, step)))
        if not answer.next_step:
            return seen, answer
        step = answer.next_step


def add_request(qb):
    return parse_xml(qb.requests[-1])[0][0]


def test_quickbooks_desktop_is_a_pull_provider_with_its_own_label():
    provider = registry.get(QuickBooksDesktop.key)
    assert provider.delivery is Delivery.PULL and provider.waits_for_pull
    assert provider.pull_label == "Waiting for QuickBooks Desktop"
    assert not any(p.waits_for_pull for p in registry.all_providers() if p.key != QuickBooksDesktop.key)
    assert "no attachments" in provider.connection_note, "the Connections page says no image goes"
    assert dict(provider.publish_as_choices) == {
        "bill": "Bill",
        "credit_card_charge": "Credit card charge",
        "check": "Cheque",
    }


def test_a_bill_walks_query_vendor_add_and_lands_once(pull, coded):
    qb = FakeQuickBooks()
    doc = coded()
    seen, answer = walk(pull, qb, doc)
    assert seen == [QUERY, VENDOR, VENDOR_ADD, ADD]
    assert isinstance(answer.outcome, ExternalRef) and answer.outcome.external_id == qb.bills[0].txn_id
    assert [(b.vendor_name, b.ref_number, b.memo) for b in qb.bills] == [("Paper Co", "INV-9", f"Dext {doc.reference}")]
    landed = {d["id"]: d for d in sandbox.documents_list(provider=QuickBooksDesktop.key)}
    assert landed[qb.bills[0].txn_id]["reference"] == doc.reference
    assert landed[qb.bills[0].txn_id]["type"] == "BillAdd"


def test_the_account_is_the_full_name_quickbooks_gave_never_the_item_text_or_a_number(pull, coded):
    qb = FakeQuickBooks()
    doc = coded("Utilities:Electricity", category="7110 Electricity")
    _, answer = walk(pull, qb, doc)
    assert isinstance(answer.outcome, ExternalRef)
    assert qb.bills[0].lines == [("Utilities:Electricity", Decimal("120.00"), "Paper Co INV-9")]
    assert add_request(qb).findtext("BillAdd/ExpenseLineAdd/AccountRef/FullName") == "Utilities:Electricity"


@pytest.mark.parametrize("account", ["7110", "Electricity", "7110 Electricity", "6600"])
def test_quickbooks_refuses_an_account_by_number_or_by_its_own_name(pull, coded, account):
    """What the old client sent (the item's category text) is an invalid reference in QuickBooks."""
    qb = FakeQuickBooks(vendors=["Paper Co"])
    doc = coded("Utilities:Electricity")
    bad = replace(doc, category_ref=Coding(external_id="x", code=account, name=account))
    answer = pull.read_response(bad, ADD, qb.process(pull.next_request(bad, ADD)))
    assert isinstance(answer.outcome, ValidationError)
    assert f'invalid reference to QuickBooks Account "{account}"' in answer.outcome.message
    assert qb.bills == []


def test_a_document_without_its_coding_is_refused_before_anything_is_sent(pull):
    with pytest.raises(ValidationError, match="Choose an account from QuickBooks Desktop's list"):
        pull.next_request(document(), QUERY)
    with pytest.raises(ValidationError, match="Choose a product or service from QuickBooks Desktop's list"):
        pull.next_request(document(kind="sales", contact_name="Jones & Co"), QUERY)


def test_an_invoice_line_names_an_item_and_an_expense_line_an_account(pull, qbd):
    income = coding(qbd, A, "Consulting Income")
    with pytest.raises(ValidationError, match=r"names a product or service, not an account \(Consulting Income\)"):
        pull.next_request(document(kind="sales", contact_name="Jones & Co", category_ref=income), QUERY)
    with pytest.raises(ValidationError, match="Choose an account from QuickBooks Desktop's list"):
        pull.next_request(document(category_ref=coding(qbd, PR, "Consulting")), QUERY)


def test_a_cheque_is_a_check_add_paid_from_the_bank_account_with_its_number_before_the_date(pull, coded, qbd):
    qb = FakeQuickBooks()
    doc = coded(publish_as="check", invoice_number="RCPT-2026-000123", payment_account_ref=coding(qbd, P, "Checking"))
    seen, answer = walk(pull, qb, doc)
    assert seen == [QUERY, VENDOR, VENDOR_ADD, ADD]
    assert parse_xml(qb.requests[0])[0][0].tag == "CheckQueryRq"
    assert parse_xml(qb.requests[0])[0][0].findtext("RefNumberRangeFilter/FromRefNumber") == "RCPT-2026-0"
    add = add_request(qb).find("CheckAdd")
    assert [child.tag for child in add] == [
        "AccountRef",
        "PayeeEntityRef",
        "RefNumber",
        "TxnDate",
        "Memo",
        "ExpenseLineAdd",
    ]
    assert add.findtext("RefNumber") == "RCPT-2026-0", "11 characters on a cheque"
    assert (qb.bills, len(qb.checks)) == ([], 1)
    assert (qb.checks[0].account, qb.checks[0].entity_name) == ("Checking", "Paper Co")
    assert answer.outcome == ExternalRef(external_id=qb.checks[0].txn_id)


def test_a_credit_card_charge_is_its_own_request_paid_from_the_card(pull, coded, qbd):
    qb = FakeQuickBooks(vendors=["Paper Co"])
    doc = coded(publish_as="credit_card_charge", payment_account_ref=coding(qbd, P, "Visa"))
    seen, answer = walk(pull, qb, doc)
    assert seen == [QUERY, VENDOR, ADD]
    assert parse_xml(qb.requests[0])[0][0].tag == "CreditCardChargeQueryRq"
    add = add_request(qb).find("CreditCardChargeAdd")
    assert [child.tag for child in add] == [
        "AccountRef",
        "PayeeEntityRef",
        "TxnDate",
        "RefNumber",
        "Memo",
        "ExpenseLineAdd",
    ]
    assert (qb.card_charges[0].account, qb.card_charges[0].ref_number) == ("Visa", "INV-9")
    assert answer.outcome == ExternalRef(external_id=qb.card_charges[0].txn_id)


def test_a_cheque_needs_a_bank_account_and_a_charge_a_credit_card(pull, coded, qbd):
    with pytest.raises(ValidationError, match="Choose a bank account"):
        pull.next_request(coded(publish_as="check"), QUERY)
    with pytest.raises(ValidationError, match="paid from a bank account; Visa is not one"):
        pull.next_request(coded(publish_as="check", payment_account_ref=coding(qbd, P, "Visa")), QUERY)
    with pytest.raises(ValidationError, match="paid from a credit card account; Checking is not one"):
        pull.next_request(coded(publish_as="credit_card_charge", payment_account_ref=coding(qbd, P, "Checking")), ADD)
    # QuickBooks refuses it too, should one be sent.
    qb = FakeQuickBooks(vendors=["Paper Co"])
    wrong = replace(coded(publish_as="check"), payment_account_ref=Coding("x", "Visa", "Visa"))
    answer = pull.read_response(wrong, ADD, qb.process(pull.next_request(wrong, ADD)))
    assert 'invalid reference to QuickBooks Account "Visa"' in answer.outcome.message and qb.checks == []


def test_the_look_up_compares_the_ref_number_as_it_was_sent_cut_to_twenty(pull, coded):
    """A bill whose answer was lost carries the first 20 characters of a longer invoice number: the look-up finds it
    (by our memo), and another document whose number starts the same is not mistaken for it."""
    qb = FakeQuickBooks(vendors=["Paper Co"])
    first = coded(invoice_number="SUPPLIER-INVOICE-2026-0001")
    pull.read_response(first, ADD, qb.process(pull.next_request(first, ADD)))  # added; its answer was lost
    assert qb.bills[0].ref_number == "SUPPLIER-INVOICE-202"
    query = parse_xml(pull.next_request(first, QUERY))[0][0]
    assert query.findtext("RefNumberRangeFilter/FromRefNumber") == "SUPPLIER-INVOICE-202"
    seen, answer = walk(pull, qb, first)
    assert seen == [QUERY] and answer.outcome == ExternalRef(external_id=qb.bills[0].txn_id)

    other = coded(invoice_number="SUPPLIER-INVOICE-2026-0002", reference="3f2c6a3e-0000-4000-8000-000000000002")
    seen, answer = walk(pull, qb, other)
    assert seen == [QUERY, VENDOR, ADD] and len(qb.bills) == 2


def test_a_bill_with_the_same_short_number_is_the_same_supplier_invoice(pull, coded):
    qb = FakeQuickBooks(vendors=["Paper Co"])
    qb.process(pull.next_request(coded(reference="entered-before"), ADD))  # INV-9 of Paper Co, entered before
    seen, answer = walk(pull, qb, coded())
    assert seen == [QUERY] and len(qb.bills) == 1


def test_a_document_without_an_invoice_number_is_looked_up_by_date_and_our_memo(pull, coded):
    qb = FakeQuickBooks(vendors=["Paper Co"])
    doc = coded(invoice_number="")
    pull.read_response(doc, ADD, qb.process(pull.next_request(doc, ADD)))  # added; its answer was lost
    query = parse_xml(pull.next_request(doc, QUERY))[0][0]
    assert [c.tag for c in query] == ["TxnDateRangeFilter", "EntityFilter"]
    assert (
        query.findtext("TxnDateRangeFilter/FromTxnDate")
        == query.findtext("TxnDateRangeFilter/ToTxnDate")
        == "2026-11-02"
    )
    seen, answer = walk(pull, qb, doc)
    assert seen == [QUERY] and answer.outcome == ExternalRef(external_id=qb.bills[0].txn_id)
    # Another receipt of the same supplier and day is another document.
    seen, _ = walk(pull, qb, coded(invoice_number="", reference="3f2c6a3e-0000-4000-8000-000000000003"))
    assert seen == [QUERY, VENDOR, ADD] and len(qb.bills) == 2


def test_a_sale_is_an_invoice_of_the_coded_item_with_its_sales_tax(pull, qbd):
    qb = FakeQuickBooks(customers=["Jones & Co"])
    sale = document(
        kind="sales",
        contact_name="Jones & Co",
        invoice_number="S-0000000001234",
        category_ref=coding(qbd, PR, "Consulting:Hourly"),
        tax_rate_ref=coding(qbd, T, "Tax"),
    )
    seen, answer = walk(pull, qb, sale)
    assert seen == [QUERY, ADD], "a sale is looked up too, then added"
    assert parse_xml(qb.requests[0])[0][0].tag == "InvoiceQueryRq"
    line = add_request(qb).find("InvoiceAdd/InvoiceLineAdd")
    assert (line.findtext("ItemRef/FullName"), line.findtext("SalesTaxCodeRef/FullName")) == (
        "Consulting:Hourly",
        "Tax",
    )
    assert qb.invoices[0].ref_number == "S-000000000"
    assert answer.outcome == ExternalRef(external_id=qb.invoices[0].txn_id)

    rate = replace(sale, reference="another", invoice_number="S-2", tax_rate_ref=coding(qbd, T, "State Sales Tax"))
    walk(pull, qb, rate)
    assert add_request(qb).findtext("InvoiceAdd/ItemSalesTaxRef/FullName") == "State Sales Tax"
    assert qb.invoices[1].sales_tax_item == "State Sales Tax"


def test_no_sales_item_is_made_up(pull, qbd):
    """The old client sent every sales line as the item "Services"; an item QuickBooks does not have is refused."""
    qb = FakeQuickBooks(customers=["Jones & Co"], items=["Consulting"])
    sale = document(kind="sales", contact_name="Jones & Co", category_ref=coding(qbd, PR, "Training"))
    _, answer = walk(pull, qb, sale)
    assert 'invalid reference to QuickBooks Item "Training"' in answer.outcome.message
    assert "Services" not in "".join(qb.requests)


def test_us_expense_lines_carry_no_sales_tax_code(pull, coded, qbd):
    qb = FakeQuickBooks(vendors=["Paper Co"])
    doc = coded(tax_rate_ref=coding(qbd, T, "Tax"))
    _, answer = walk(pull, qb, doc)
    assert isinstance(answer.outcome, ExternalRef)
    assert "SalesTaxCodeRef" not in qb.requests[-1] and "IsTaxIncluded" not in qb.requests[-1]
    # The US edition's schema has no tax code on an expense line: QuickBooks cannot parse one.
    with pytest.raises(QuickBooksError):
        qb.process(
            qb.requests[-1].replace("</Amount>", "</Amount><SalesTaxCodeRef><FullName>Tax</FullName></SalesTaxCodeRef>")
        )


def test_uk_expense_lines_carry_their_vat_code_with_the_total_tax_included(world, client):
    connection, password = create_web_connector_connection(business=world.b)
    sync_lists(client, connection, password, FakeQuickBooks(country="UK"))
    pull = registry.get(connection.provider).pull_client(connection)
    vat = coding(connection, T, "S")
    assert vat.extra["purchase_tax_item"] == "20.0% VAT (Purchases)"
    qb = FakeQuickBooks(country="UK", vendors=["Paper Co"])
    doc = document(category_ref=coding(connection, A, "Office Supplies"), tax_rate_ref=vat, total=Decimal("120.00"))
    _, answer = walk(pull, qb, doc)
    assert isinstance(answer.outcome, ExternalRef)
    assert (qb.bills[0].tax_codes, qb.bills[0].tax_included) == (("S",), True)


def test_refusals_are_the_documents_own(pull, qbd):
    qb = FakeQuickBooks(customers=[])
    sale = document(kind="sales", contact_name="Nobody Ltd", category_ref=coding(qbd, PR, "Consulting"))
    _, answer = walk(pull, qb, sale)
    assert isinstance(answer.outcome, ValidationError) and 'QuickBooks Customer "Nobody Ltd"' in answer.outcome.message
    failed = pull.request_failed(document(), ADD, "0x80040400: parse error")
    assert failed.message == "QuickBooks Desktop could not process the request: 0x80040400: parse error"
