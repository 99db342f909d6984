"""The fake QuickBooks answers qbXML the way QuickBooks does (the other tests lean on it)."""

import pytest

from integrations.providers.quickbooks_desktop.qbxml import (
    bill_add_rq,
    bill_query_rq,
    invoice_add_rq,
    parse_response,
    vendor_add_rq,
    vendor_query_rq,
)
from tests.integrations.qbwc.fake_web_connector import FakeQuickBooks, QuickBooksError


def answer(qb, qbxml):
    (result,) = parse_response(qb.process(qbxml))
    return result


def a_bill(ref="INV-1", vendor="Acme", account="Office Supplies"):
    return bill_add_rq(vendor_name=vendor, txn_date="2026-03-01", ref_number=ref, lines=[(account, "12.00", "")])


def test_vendor_query_add_and_duplicate():
    qb = FakeQuickBooks()
    assert answer(qb, vendor_query_rq("Acme"))["statusCode"] == 1
    added = answer(qb, vendor_add_rq("Acme"))
    assert added["statusCode"] == 0
    found = answer(qb, vendor_query_rq("acme"))
    assert (found["statusCode"], found["ListID"], found["rets"][0]["Name"]) == (0, added["ListID"], "Acme")
    assert answer(qb, vendor_add_rq("ACME"))["statusCode"] == 3100


def test_bill_add_and_query_by_vendor_and_ref_number():
    qb = FakeQuickBooks(vendors=["Acme", "Other"])
    assert answer(qb, bill_query_rq("Acme", "INV-1"))["statusCode"] == 1
    added = answer(qb, a_bill())
    assert added["statusCode"] == 0
    assert added["TxnID"] == qb.bills[0].txn_id
    assert added["RefNumber"] == "INV-1"
    assert answer(qb, bill_query_rq("Acme", "INV-1"))["TxnID"] == added["TxnID"]
    assert answer(qb, bill_query_rq("Other", "INV-1"))["statusCode"] == 1
    assert answer(qb, bill_query_rq("Acme", "INV-2"))["statusCode"] == 1


def test_invalid_references_are_3140():
    qb = FakeQuickBooks(vendors=["Acme"], customers=["Jones"])
    unknown_vendor = answer(qb, a_bill(vendor="Nobody"))
    assert unknown_vendor["statusCode"] == 3140
    assert 'QuickBooks Vendor "Nobody"' in unknown_vendor["statusMessage"]
    assert answer(qb, a_bill(account="Nope"))["statusCode"] == 3140
    assert (
        answer(qb, invoice_add_rq(customer_name="Nobody", txn_date="2026-01-01", lines=[("Consulting", 1, "")]))[
            "statusCode"
        ]
        == 3140
    )
    assert (
        answer(qb, invoice_add_rq(customer_name="Jones", txn_date="2026-01-01", lines=[("Nope", 1, "")]))["statusCode"]
        == 3140
    )
    assert qb.bills == [] and qb.invoices == []


def test_invoice_add():
    qb = FakeQuickBooks(customers=["Jones"])
    added = answer(
        qb,
        invoice_add_rq(
            customer_name="Jones", txn_date="2026-01-01", ref_number="S-1", lines=[("Consulting", "99.95", "x")]
        ),
    )
    assert added["statusCode"] == 0
    assert qb.invoices[0].txn_id == added["TxnID"]
    assert str(qb.invoices[0].amount) == "99.95"


@pytest.mark.parametrize(
    "broken",
    [
        lambda xml: xml.replace('<?qbxml version="13.0"?>', ""),
        lambda xml: xml.replace("<BillAdd>", "<BillAdd><Memo>first</Memo>"),  # Memo before VendorRef
        lambda xml: xml.replace("<TxnDate>", "<Bogus/><TxnDate>"),
        lambda xml: xml.replace("</QBXML>", ""),
    ],
)
def test_requests_quickbooks_cannot_parse_are_an_hresult(broken):
    qb = FakeQuickBooks(vendors=["Acme"])
    with pytest.raises(QuickBooksError) as raised:
        qb.process(broken(a_bill()))
    assert raised.value.hresult == "0x80040400"
    assert qb.bills == []


def test_fail_next():
    qb = FakeQuickBooks(vendors=["Acme"])
    qb.fail_next("0x8004040A", "QuickBooks is busy.")
    with pytest.raises(QuickBooksError):
        qb.process(a_bill())
    assert answer(qb, a_bill())["statusCode"] == 0
