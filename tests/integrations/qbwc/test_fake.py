"""The fake QuickBooks answers qbXML the way QuickBooks does (the other tests lean on it)."""

import pytest

from integrations.lists.models import ListKind
from integrations.providers.quickbooks_desktop.lists import list_request
from integrations.providers.quickbooks_desktop.qbxml import (
    CHECK,
    CREDIT_CARD_CHARGE,
    ExpenseLine,
    bill_add_rq,
    bill_query_rq,
    expense_txn_add_rq,
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


def a_cheque(ref="1234", account="Checking", txn=CHECK, **fields):
    return expense_txn_add_rq(
        txn,
        entity_name="Acme",
        account=account,
        txn_date="2026-03-01",
        ref_number=ref,
        lines=[ExpenseLine(fields.pop("line_account", "Office Supplies"), "12.00")],
        **fields,
    )


def test_a_cheque_with_its_date_before_its_number_cannot_be_parsed():
    qb = FakeQuickBooks(vendors=["Acme"])
    good = a_cheque()
    assert answer(qb, good)["statusCode"] == 0 and len(qb.checks) == 1
    swapped = good.replace("<RefNumber>1234</RefNumber>\n", "").replace(
        "</TxnDate>", "</TxnDate>\n      <RefNumber>1234</RefNumber>"
    )
    with pytest.raises(QuickBooksError):
        qb.process(swapped)


@pytest.mark.parametrize(("request_", "limit"), [("check", 11), ("charge", 11), ("bill", 20)])
def test_ref_numbers_longer_than_the_transaction_takes_are_3070(request_, limit):
    qb = FakeQuickBooks(vendors=["Acme"])
    xml = {
        "check": a_cheque(ref="1" * limit),
        "charge": a_cheque(ref="1" * limit, account="Visa", txn=CREDIT_CARD_CHARGE),
        "bill": a_bill(ref="1" * limit),
    }[request_]
    assert answer(qb, xml)["statusCode"] == 0
    too_long = xml.replace("1" * limit, "1" * (limit + 1))
    assert answer(qb, too_long)["statusCode"] == 3070


def test_accounts_are_found_by_full_name_only_and_must_be_active_and_of_the_right_type():
    qb = FakeQuickBooks(vendors=["Acme"])
    assert answer(qb, a_bill(account="utilities:electricity"))["statusCode"] == 0, "names match without regard to case"
    for name in ("Electricity", "7110", "Equipment Rental", "Accounts Payable"):
        assert answer(qb, a_bill(account=name))["statusCode"] == 3140, name
    assert answer(qb, a_cheque(account="Visa"))["statusCode"] == 3140, "a cheque is paid from a bank account"


def test_the_us_edition_has_no_sales_tax_code_on_an_expense_line():
    line = [ExpenseLine("Office Supplies", "12.00", sales_tax_code="Tax")]
    with pytest.raises(QuickBooksError):
        FakeQuickBooks(vendors=["Acme"]).process(bill_add_rq(vendor_name="Acme", txn_date="2026-03-01", lines=line))
    uk = FakeQuickBooks(vendors=["Acme"], country="UK")
    uk_line = [ExpenseLine("Office Supplies", "12.00", sales_tax_code="S")]
    assert answer(uk, bill_add_rq(vendor_name="Acme", txn_date="2026-03-01", lines=uk_line))["statusCode"] == 0
    wrong = [ExpenseLine("Office Supplies", "12.00", sales_tax_code="Tax")]
    assert answer(uk, bill_add_rq(vendor_name="Acme", txn_date="2026-03-01", lines=wrong))["statusCode"] == 3140


def test_iterators_live_as_long_as_the_session():
    qb = FakeQuickBooks(customers=[f"C{n:03}" for n in range(5)])
    page = parse_response(qb.process(list_request(ListKind.CONTACTS, page="1:", since=None)))[0]
    assert page["iteratorRemainingCount"] == 0 and len(page["rets"]) == 5
    qb = FakeQuickBooks(customers=[f"C{n:03}" for n in range(150)])
    first = parse_response(qb.process(list_request(ListKind.CONTACTS, page="1:", since=None)))[0]
    assert (len(first["rets"]), first["iteratorRemainingCount"]) == (100, 50)
    token = f"1:{first['iteratorID']}"
    qb.end_session()
    assert parse_response(qb.process(list_request(ListKind.CONTACTS, page=token, since=None)))[0]["statusCode"] == 3391
