"""qbXML builders: schema order, escaping, field lengths, amounts; and reading responses."""

from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from integrations.providers.quickbooks_desktop.qbxml import (
    QBXMLError,
    bill_add_rq,
    bill_query_rq,
    format_amount,
    invoice_add_rq,
    parse_response,
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
