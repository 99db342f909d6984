"""The fake QuickBooks' list queries: accounts, classes and sales tax codes in one answer (no iterator), vendors,
customers, sales tax items and items read with an iterator (``Start`` / ``Continue`` + ``iteratorID``,
``MaxReturned`` a page, ``iteratorRemainingCount`` left), with QuickBooks' filters (``ListID``, ``FullName``,
``ActiveStatus`` ActiveOnly by default, ``FromModifiedDate``) and the Rets' elements in their schema order."""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from tests.integrations.qbwc import fake_qb_company as company
from tests.integrations.qbwc.fake_qb_company import ListRow
from tests.integrations.qbwc.fake_quickbooks import NO_MATCH, PARSE_ERROR, QuickBooksError, status, sub

ITEM_QUERIES = {"ItemServiceQueryRq": "Service", "ItemNonInventoryQueryRq": "NonInventory"}
ITEM_QUERIES["ItemOtherChargeQueryRq"] = "OtherCharge"
LIST_QUERIES = {
    "AccountQueryRq",
    "ClassQueryRq",
    "SalesTaxCodeQueryRq",
    "ItemSalesTaxQueryRq",
    "VendorQueryRq",
    "CustomerQueryRq",
    *ITEM_QUERIES,
}


def _rows(qb, tag: str) -> list[ListRow]:
    if tag == "AccountQueryRq":
        return list(qb.accounts.values())
    if tag == "ClassQueryRq":
        return list(qb.classes.values())
    if tag == "SalesTaxCodeQueryRq":
        return list(qb.tax_codes.values())
    if tag == "ItemSalesTaxQueryRq":
        return list(qb.tax_items.values())
    if tag in ITEM_QUERIES:
        return [row for row in qb.items.values() if row.fields["type"] == ITEM_QUERIES[tag]]
    kind = "Vendor" if tag == "VendorQueryRq" else "Customer"
    return [row for row in qb.entities.values() if row.fields["kind"] == kind]


def _since(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise QuickBooksError(*PARSE_ERROR) from None
    if value.tzinfo is None:  # QuickBooks reads a time without an offset as the PC's local time; ours is UTC
        value = value.replace(tzinfo=company.CREATED.tzinfo)
    return value


def _matching(qb, rq) -> list[ListRow]:
    rows = _rows(qb, rq.tag)
    ids, names = [e.text for e in rq.findall("ListID")], [(e.text or "").lower() for e in rq.findall("FullName")]
    if ids or names:  # a look-up by id or name ignores the other filters
        return [r for r in rows if r.list_id in ids or r.name.lower() in names]
    active = rq.findtext("ActiveStatus") or "ActiveOnly"
    rows = [r for r in rows if active == "All" or r.active == (active == "ActiveOnly")]
    since = rq.findtext("FromModifiedDate")
    if since:
        rows = [r for r in rows if r.modified >= _since(since)]
    return sorted(rows, key=lambda r: r.name.lower())


def list_query(qb, rq):
    tag = rq.tag.removesuffix("Rq") + "Rs"
    iterator = rq.get("iterator")
    if iterator == "Continue":
        rows = qb.iterator(rq.get("iteratorID") or "")
        if rows is None:
            return status(tag, 3391, f'The iteratorID "{rq.get("iteratorID")}" is not valid.')
        iterator_id = rq.get("iteratorID")
    else:
        rows = _matching(qb, rq)
        iterator_id = qb.new_iterator(rows) if iterator == "Start" else None
    limit = int(rq.findtext("MaxReturned") or 0) or len(rows)
    page, rest = rows[:limit], rows[limit:]
    if iterator_id is not None:
        qb._iterators[iterator_id] = rest
    if not page and iterator_id is None:
        return status(tag, 1, NO_MATCH, severity="Warn")
    rs = status(tag, 0)
    if iterator_id is not None:
        rs.set("iteratorRemainingCount", str(len(rest)))
        rs.set("iteratorID", iterator_id)
    for row in page:
        rs.append(_ret(qb, rq.tag, row))
    return rs


def _ret(qb, tag: str, row: ListRow):
    kind = {
        "AccountQueryRq": "Account",
        "ClassQueryRq": "Class",
        "SalesTaxCodeQueryRq": "SalesTaxCode",
        "ItemSalesTaxQueryRq": "ItemSalesTax",
        "VendorQueryRq": "Vendor",
        "CustomerQueryRq": "Customer",
    }.get(tag) or tag.removesuffix("QueryRq")
    ret = etree.Element(f"{kind}Ret")
    sub(ret, "ListID", row.list_id)
    sub(ret, "TimeCreated", company.CREATED.isoformat())
    sub(ret, "TimeModified", row.modified.replace(microsecond=0).isoformat())
    sub(ret, "EditSequence", str(int(row.modified.timestamp())))
    own_name = row.name.rsplit(":", 1)[-1]
    fields = row.fields
    if kind == "Vendor":
        sub(ret, "Name", row.name)
        sub(ret, "IsActive", _bool(row.active))
        if fields.get("company"):
            sub(ret, "CompanyName", fields["company"])
        return ret
    if kind in ("SalesTaxCode", "ItemSalesTax"):
        sub(ret, "Name", row.name)
        sub(ret, "IsActive", _bool(row.active))
        if kind == "SalesTaxCode":
            sub(ret, "IsTaxable", _bool(fields["taxable"]))
            sub(ret, "Desc", fields["desc"])
            for ref, item in (
                ("ItemPurchaseTaxRef", fields["purchase_item"]),
                ("ItemSalesTaxRef", fields["sales_item"]),
            ):
                if item:
                    sub(etree.SubElement(ret, ref), "FullName", item)
        else:
            sub(ret, "TaxRate", f"{fields['rate']}")
            sub(etree.SubElement(ret, "TaxVendorRef"), "FullName", fields["agency"])
        return ret
    sub(ret, "Name", own_name)
    sub(ret, "FullName", row.name)
    sub(ret, "IsActive", _bool(row.active))
    if ":" in row.name:
        sub(etree.SubElement(ret, "ParentRef"), "FullName", row.name.rsplit(":", 1)[0])
    sub(ret, "Sublevel", str(row.name.count(":")))
    if kind == "Account":
        sub(ret, "AccountType", fields["type"])
        if fields.get("number"):
            sub(ret, "AccountNumber", fields["number"])
        sub(ret, "Balance", "0.00")
    elif kind.startswith("Item"):
        if qb.country == "US":
            sub(etree.SubElement(ret, "SalesTaxCodeRef"), "FullName", "Non" if kind == "ItemOtherCharge" else "Tax")
        sales = etree.SubElement(ret, "SalesOrPurchase")
        sub(sales, "Desc", row.name.replace(":", " – "))
        sub(sales, "Price", fields["price"])
        sub(etree.SubElement(sales, "AccountRef"), "FullName", fields["account"])
    return ret


def _bool(value: bool) -> str:
    return "true" if value else "false"
