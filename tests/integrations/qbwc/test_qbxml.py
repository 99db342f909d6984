"""qbXML builders: schema order, escaping, field lengths, amounts; and reading responses."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from lxml import etree

from integrations.lists.models import ListKind
from integrations.lists.source import Page
from integrations.providers.quickbooks_desktop.lists import IteratorLost, ListRefused, list_request, read_list_response
from integrations.providers.quickbooks_desktop.qbxml import (
    BILL,
    CHECK,
    CREDIT_CARD_CHARGE,
    ExpenseLine,
    QBXMLError,
    bill_add_rq,
    bill_query_rq,
    expense_txn_add_rq,
    format_amount,
    full_name,
    invoice_add_rq,
    parse_response,
    txn_query_rq,
    vendor_add_rq,
    vendor_query_rq,
)
from tests.integrations.qbwc.fake_web_connector import FakeQuickBooks


def parse(qbxml: str):
    assert qbxml.startswith('<?xml version="1.0" encoding="utf-8"?>\n<?qbxml version="13.0"?>\n')
    root = etree.fromstring(qbxml.split("\n", 1)[1].encode())
    assert root.tag == "QBXML"
    (messages,) = root
    assert messages.tag == "QBXMLMsgsRq"
    assert messages.get("onError") == "stopOnError"
    (rq,) = messages
    return rq


def children(element) -> list[str]:
    return [child.tag for child in element]


def a_bill(**overrides):
    fields = {
        "vendor_name": "Acme Supplies",
        "txn_date": date(2026, 3, 1),
        "due_date": date(2026, 3, 31),
        "ref_number": "INV-1",
        "memo": "March",
        "lines": [("Office Supplies", Decimal("100.5"), "Paper"), ("Travel Expense", 20, "Taxi")],
    }
    return bill_add_rq(**{**fields, **overrides})


def test_bill_add_elements_are_in_schema_order():
    rq = parse(a_bill())
    assert rq.tag == "BillAddRq"
    assert rq.get("requestID") == "1"
    (add,) = rq
    assert add.tag == "BillAdd"
    assert children(add) == ["VendorRef", "TxnDate", "DueDate", "RefNumber", "Memo", "ExpenseLineAdd", "ExpenseLineAdd"]
    assert children(add.find("VendorRef")) == ["FullName"]
    assert add.findtext("VendorRef/FullName") == "Acme Supplies"
    assert add.findtext("TxnDate") == "2026-03-01"
    assert add.findtext("DueDate") == "2026-03-31"
    line = add.find("ExpenseLineAdd")
    assert children(line) == ["AccountRef", "Amount", "Memo"]
    assert children(line.find("AccountRef")) == ["FullName"]
    assert line.findtext("AccountRef/FullName") == "Office Supplies"
    assert [amount.text for amount in add.iter("Amount")] == ["100.50", "20.00"]


def test_bill_add_leaves_out_empty_optional_fields():
    rq = parse(a_bill(due_date=None, memo="", ref_number="", lines=[("Utilities", "5", "")]))
    add = rq.find("BillAdd")
    assert children(add) == ["VendorRef", "TxnDate", "ExpenseLineAdd"]
    assert children(add.find("ExpenseLineAdd")) == ["AccountRef", "Amount"]


def test_text_is_escaped():
    qbxml = a_bill(vendor_name="Smith & Sons <UK>", memo='5 < 6 & "quotes"', lines=[("R&D", "1", "a<b")])
    assert "Smith &amp; Sons &lt;UK&gt;" in qbxml
    assert "<UK>" not in qbxml
    add = parse(qbxml).find("BillAdd")
    assert add.findtext("VendorRef/FullName") == "Smith & Sons <UK>"
    assert add.findtext("Memo") == '5 < 6 & "quotes"'
    assert add.findtext("ExpenseLineAdd/AccountRef/FullName") == "R&D"
    assert add.findtext("ExpenseLineAdd/Memo") == "a<b"


def test_characters_xml_cannot_carry_are_dropped():
    add = parse(a_bill(memo="bell\x07 and nul\x00")).find("BillAdd")
    assert add.findtext("Memo") == "bell and nul"


def test_text_is_cut_to_qbxml_field_lengths():
    add = parse(a_bill(ref_number="R" * 25, memo="m" * 5000, vendor_name="V" * 50)).find("BillAdd")
    assert add.findtext("RefNumber") == "R" * 20
    assert len(add.findtext("Memo")) == 4095
    assert add.findtext("VendorRef/FullName") == "V" * 41


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("123.45"), "123.45"),
        (Decimal("12.345"), "12.35"),
        (5, "5.00"),
        ("1234567.8", "1234567.80"),
        (Decimal("-10.005"), "-10.01"),
        (Decimal("-0.001"), "0.00"),
        (0.1 + 0.2, "0.30"),
    ],
)
def test_amounts_are_formatted_with_two_decimals(value, expected):
    assert format_amount(value) == expected


@pytest.mark.parametrize("value", ["abc", "NaN", "Infinity", ""])
def test_not_an_amount_is_refused(value):
    with pytest.raises(ValueError):
        format_amount(value)


def test_a_bill_needs_lines_and_a_vendor():
    with pytest.raises(ValueError):
        a_bill(lines=[])
    with pytest.raises(ValueError):
        a_bill(vendor_name="  ")


def test_invoice_add_elements_are_in_schema_order():
    rq = parse(
        invoice_add_rq(
            customer_name="Jones & Co",
            txn_date="2026-04-01",
            ref_number="S-0000000001234",
            memo="April",
            due_date="2026-04-30",
            lines=[("Consulting", "250", "Two days"), ("Services", Decimal("10.10"), "")],
        )
    )
    assert rq.tag == "InvoiceAddRq"
    add = rq.find("InvoiceAdd")
    assert children(add) == [
        "CustomerRef",
        "TxnDate",
        "RefNumber",
        "DueDate",
        "Memo",
        "InvoiceLineAdd",
        "InvoiceLineAdd",
    ]
    assert add.findtext("CustomerRef/FullName") == "Jones & Co"
    assert add.findtext("RefNumber") == "S-000000000"  # invoice numbers are 11 characters at most
    line = add.find("InvoiceLineAdd")
    assert children(line) == ["ItemRef", "Desc", "Amount"]
    assert line.findtext("Amount") == "250.00"


def test_vendor_and_bill_queries():
    rq = parse(vendor_query_rq("Acme & Sons", request_id="7"))
    assert (rq.tag, rq.get("requestID"), children(rq), rq.findtext("FullName")) == (
        "VendorQueryRq",
        "7",
        ["FullName"],
        "Acme & Sons",
    )
    rq = parse(vendor_add_rq("Acme & Sons"))
    assert rq.findtext("VendorAdd/Name") == "Acme & Sons"
    rq = parse(bill_query_rq("Acme", "INV-1"))
    assert children(rq) == ["EntityFilter", "RefNumberRangeFilter"]
    assert rq.findtext("EntityFilter/FullName") == "Acme"
    assert children(rq.find("RefNumberRangeFilter")) == ["FromRefNumber", "ToRefNumber"]
    assert {e.text for e in rq.find("RefNumberRangeFilter")} == {"INV-1"}


def test_every_builder_passes_the_fake_quickbooks_schema_check():
    qb = FakeQuickBooks(vendors=["Acme"], customers=["Jones"])
    for qbxml in (
        vendor_query_rq("Acme"),
        vendor_add_rq("New Vendor"),
        bill_query_rq("Acme", "INV-1"),
        a_bill(vendor_name="Acme"),
        invoice_add_rq(customer_name="Jones", txn_date="2026-04-01", lines=[("Consulting", 1, "x")]),
    ):
        assert parse_response(qb.process(qbxml))[0]["statusCode"] in (0, 1)


def test_parse_response_reads_each_response():
    xml = """<?xml version="1.0" ?>
<QBXML><QBXMLMsgsRs>
  <BillAddRs requestID="1" statusCode="0" statusSeverity="Info" statusMessage="Status OK">
    <BillRet><TxnID>1A-1712</TxnID><EditSequence>1712</EditSequence><VendorRef><FullName>Acme</FullName></VendorRef>
      <RefNumber>INV-1</RefNumber></BillRet>
  </BillAddRs>
  <VendorQueryRs requestID="2" statusCode="1" statusSeverity="Warn" statusMessage="No match"/>
  <BillAddRs requestID="3" statusCode="3140" statusSeverity="Error" statusMessage="There is an invalid reference"/>
</QBXMLMsgsRs></QBXML>"""
    first, second, third = parse_response(xml)
    assert first["type"] == "BillAddRs"
    assert (first["requestID"], first["statusCode"], first["statusMessage"]) == ("1", 0, "Status OK")
    assert (first["TxnID"], first["RefNumber"]) == ("1A-1712", "INV-1")
    assert first["rets"] == [{"TxnID": "1A-1712", "EditSequence": "1712", "RefNumber": "INV-1", "VendorName": "Acme"}]
    assert (second["statusCode"], second["statusSeverity"], second["TxnID"], second["rets"]) == (1, "Warn", "", [])
    assert (third["requestID"], third["statusCode"]) == ("3", 3140)
    assert third["statusMessage"] == "There is an invalid reference"


@pytest.mark.parametrize(
    "xml",
    [
        "",
        "<QBXML>",
        "<NotQBXML/>",
        '<!DOCTYPE x [<!ENTITY e "x">]><QBXML/>',
        "<QBXML><QBXMLMsgsRs><BillAddRs statusCode='x'/></QBXMLMsgsRs></QBXML>",
    ],
)
def test_parse_response_refuses_what_it_cannot_read(xml):
    with pytest.raises(QBXMLError):
        parse_response(xml)


# --- cheques, credit card charges, look-ups ---------------------------------------------------------------------


def test_a_cheque_has_its_number_before_its_date_and_a_charge_after():
    common = {
        "entity_name": "Paper Co",
        "account": "Checking",
        "txn_date": "2026-03-01",
        "ref_number": "RCPT-2026-000123",
        "memo": "Dext 1",
        "lines": [ExpenseLine("Utilities:Electricity", "12.5", "Power")],
    }
    check = parse(expense_txn_add_rq(CHECK, **common)).find("CheckAdd")
    assert children(check) == ["AccountRef", "PayeeEntityRef", "RefNumber", "TxnDate", "Memo", "ExpenseLineAdd"]
    assert check.findtext("RefNumber") == "RCPT-2026-0"
    charge = parse(expense_txn_add_rq(CREDIT_CARD_CHARGE, **{**common, "account": "Visa"})).find("CreditCardChargeAdd")
    assert children(charge) == ["AccountRef", "PayeeEntityRef", "TxnDate", "RefNumber", "Memo", "ExpenseLineAdd"]
    assert (charge.findtext("AccountRef/FullName"), charge.findtext("RefNumber")) == ("Visa", "RCPT-2026-0")
    assert charge.findtext("ExpenseLineAdd/AccountRef/FullName") == "Utilities:Electricity"


def test_a_tax_code_goes_on_the_line_and_the_total_is_tax_included():
    add = parse(a_bill(lines=[ExpenseLine("Office Supplies", "120", "", sales_tax_code="S")], tax_included=True))
    bill = add.find("BillAdd")
    assert children(bill) == ["VendorRef", "TxnDate", "DueDate", "RefNumber", "Memo", "IsTaxIncluded", "ExpenseLineAdd"]
    assert children(bill.find("ExpenseLineAdd")) == ["AccountRef", "Amount", "SalesTaxCodeRef"]


def test_full_names_are_never_cut():
    with pytest.raises(ValueError, match="longer than"):
        a_bill(lines=[("A" * 160, "1", "")])
    assert full_name("Utilities:Electricity ") == "Utilities:Electricity"


def test_look_ups_by_ref_number_cut_as_sent_or_by_date():
    rq = parse(txn_query_rq(CHECK, entity_name="Paper Co", ref_number="RCPT-2026-000123"))
    assert (rq.tag, children(rq)) == ("CheckQueryRq", ["EntityFilter", "RefNumberRangeFilter"])
    assert {e.text for e in rq.find("RefNumberRangeFilter")} == {"RCPT-2026-0"}
    rq = parse(txn_query_rq(BILL, entity_name="Paper Co", txn_date=date(2026, 3, 1)))
    assert children(rq) == ["TxnDateRangeFilter", "EntityFilter"]
    assert [e.text for e in rq.find("TxnDateRangeFilter")] == ["2026-03-01", "2026-03-01"]


def test_request_ids_are_fifty_characters_at_most():
    assert len(parse(vendor_query_rq("Acme", request_id="x" * 80)).get("requestID")) == 50


# --- lists ------------------------------------------------------------------------------------------------------


def test_list_queries_take_an_iterator_only_where_qbxml_has_one():
    accounts = parse(list_request(ListKind.ACCOUNTS, page=None, since=None))
    assert (accounts.tag, dict(accounts.attrib), children(accounts)) == (
        "AccountQueryRq",
        {"requestID": "1"},
        ["ActiveStatus"],
    )
    vendors = parse(list_request(ListKind.CONTACTS, page=None, since=datetime(2026, 3, 1, 12, 30, tzinfo=UTC)))
    assert (vendors.tag, vendors.get("iterator"), vendors.get("iteratorID")) == ("VendorQueryRq", "Start", None)
    assert children(vendors) == ["MaxReturned", "ActiveStatus", "FromModifiedDate"]
    assert vendors.findtext("FromModifiedDate") == "2026-03-01T12:30:00+00:00"
    more = parse(list_request(ListKind.CONTACTS, page="1:{abc}", since=None))
    assert (more.tag, more.get("iterator"), more.get("iteratorID")) == ("CustomerQueryRq", "Continue", "{abc}")


def _rs(tag, inner="", **attributes):
    attrs = {"requestID": "1", "statusCode": "0", "statusSeverity": "Info", "statusMessage": "Status OK"} | attributes
    text = " ".join(f'{k}="{v}"' for k, v in attrs.items())
    return f'<?xml version="1.0" ?><QBXML><QBXMLMsgsRs><{tag} {text}>{inner}</{tag}></QBXMLMsgsRs></QBXML>'


def test_list_answers_give_the_next_page_then_the_next_query_then_the_end():
    vendor = "<VendorRet><ListID>80000001-1</ListID><Name>Paper Co</Name><IsActive>true</IsActive></VendorRet>"
    page = read_list_response(
        ListKind.CONTACTS,
        page=None,
        response=_rs("VendorQueryRs", vendor, iteratorRemainingCount="3", iteratorID="{it}"),
    )
    assert page.next == "0:{it}" and [(e.name, e.kind_detail) for e in page.entries] == [("Paper Co", "supplier")]
    last = read_list_response(
        ListKind.CONTACTS, page="0:{it}", response=_rs("VendorQueryRs", iteratorRemainingCount="0", iteratorID="{it}")
    )
    assert last.next == "1:"
    none = _rs("CustomerQueryRs", statusCode="1", statusSeverity="Warn", statusMessage="No match")
    assert read_list_response(ListKind.CONTACTS, page="1:", response=none) == Page(entries=[], next=None)


def test_list_refusals_and_a_forgotten_iterator():
    forgotten = _rs("VendorQueryRs", statusCode="3391", statusSeverity="Error", statusMessage="not valid")
    with pytest.raises(IteratorLost):
        read_list_response(ListKind.CONTACTS, page="0:{it}", response=forgotten)
    refused = _rs("AccountQueryRs", statusCode="3250", statusSeverity="Error", statusMessage="Not enabled.")
    with pytest.raises(ListRefused, match=r"Not enabled. \(3250\)"):
        read_list_response(ListKind.ACCOUNTS, page=None, response=refused)
    with pytest.raises(QBXMLError):
        read_list_response(ListKind.ACCOUNTS, page=None, response=_rs("VendorQueryRs"))
