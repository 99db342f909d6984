"""QuickBooks Desktop's lists, read through the Web Connector: the qbXML query for a page of a list, and the reading
of QuickBooks' answer into a :class:`~integrations.lists.source.Page`.

A pass (``PASSES``) may take several queries in turn (its *phases*: vendors, then customers); a phase whose query
accepts an iterator (``VendorQueryRq``, ``CustomerQueryRq``, the item queries) is read ``MaxReturned`` at a time
with ``iterator="Start"``, then ``"Continue"`` and the answer's ``iteratorID``, until ``iteratorRemainingCount`` is 0.
``AccountQueryRq``, ``ClassQueryRq`` and ``SalesTaxCodeQueryRq`` take no iterator: one answer each. A page token is
``"<phase>:<iteratorID>"`` (empty iterator: the phase's first page). Every query asks for active and inactive
entries (``ActiveStatus`` All), so that what was made inactive in QuickBooks becomes inactive here. QuickBooks keeps
an iterator only as long as its session: a ``Continue`` it no longer knows answers 3391 (:class:`IteratorLost`),
and the pass starts again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

from integrations.lists.models import ListKind
from integrations.lists.source import Entry, Page, Pass
from integrations.providers.quickbooks_desktop import qbxml
from integrations.qbwc.xmlsafe import local_name

PAGE_SIZE = 100

A, PA, T, C, PR, TR = (
    ListKind.ACCOUNTS,
    ListKind.PAYMENT_ACCOUNTS,
    ListKind.TAX_RATES,
    ListKind.CONTACTS,
    ListKind.PRODUCTS,
    ListKind.TRACKING,
)
PASSES = (
    Pass(fetch=A, gives=(A, PA)),
    Pass(fetch=T, gives=(T,)),
    Pass(fetch=C, gives=(C,), incremental=True),
    Pass(fetch=PR, gives=(PR,), incremental=True),
    Pass(fetch=TR, gives=(TR,)),
)

PAYMENT_ACCOUNT_TYPES = ("Bank", "CreditCard")
NOT_A_CATEGORY = ("AccountsPayable", "AccountsReceivable", "NonPosting")  # no expense line may post to these
SALES_ACCOUNT_TYPES = ("Income", "OtherIncome")
PURCHASE_ACCOUNT_TYPES = ("Expense", "OtherExpense", "CostOfGoodsSold")


@dataclass(frozen=True)
class Query:
    rq: str
    paged: bool  # takes an iterator


PHASES: dict[ListKind, tuple[Query, ...]] = {
    A: (Query("AccountQueryRq", paged=False),),
    T: (Query("SalesTaxCodeQueryRq", paged=False), Query("ItemSalesTaxQueryRq", paged=True)),
    C: (Query("VendorQueryRq", paged=True), Query("CustomerQueryRq", paged=True)),
    PR: (
        Query("ItemServiceQueryRq", paged=True),
        Query("ItemNonInventoryQueryRq", paged=True),
        Query("ItemOtherChargeQueryRq", paged=True),
    ),
    TR: (Query("ClassQueryRq", paged=False),),
}


class ListRefused(Exception):
    """QuickBooks refused a list query; ``message`` is its own (status code and text)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class IteratorLost(ListRefused):
    """QuickBooks no longer knows the iterator (it lives only as long as its session): start the pass again."""


def _token(page: str | None) -> tuple[int, str]:
    if not page:
        return 0, ""
    phase, _, iterator = page.partition(":")
    return int(phase), iterator


def list_request(kind: ListKind, *, page: str | None, since: datetime | None, request_id: str = "1") -> str:
    """The qbXML query of one page of ``kind``: a ``Continue`` repeats the first query's criteria, as QuickBooks
    asks."""
    phase, iterator = _token(page)
    query = PHASES[kind][phase]
    rq = etree.Element(query.rq, requestID=str(request_id)[: qbxml.REQUEST_ID_MAX])
    if query.paged:
        rq.set("iterator", "Continue" if iterator else "Start")
        if iterator:
            rq.set("iteratorID", iterator)
        etree.SubElement(rq, "MaxReturned").text = str(PAGE_SIZE)
    etree.SubElement(rq, "ActiveStatus").text = "All"
    if since is not None:
        etree.SubElement(rq, "FromModifiedDate").text = _datetime(since)
    return qbxml.request(rq)


def _datetime(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.replace(microsecond=0).isoformat()


def read_list_response(kind: ListKind, *, page: str | None, response: str) -> Page:
    """The entries of QuickBooks' answer to ``list_request(kind, page=page, …)`` and the token of the next page
    (None: the pass is done). Raises ListRefused (IteratorLost) for a refusal, qbxml.QBXMLError for what cannot be
    read."""
    phase, iterator = _token(page)
    phases = PHASES[kind]
    answers = qbxml.response_elements(response)
    rs = next((r for r in answers if local_name(r) == phases[phase].rq[:-2] + "Rs"), None)
    if rs is None:
        raise qbxml.QBXMLError(f"QuickBooks sent no answer to {phases[phase].rq}.")
    code = qbxml.status_code(rs)
    if code == qbxml.STATUS_ITERATOR_NOT_VALID and iterator:
        raise IteratorLost(_refusal(rs, code))
    if code != qbxml.STATUS_NO_MATCH and not qbxml.succeeded(code):
        raise ListRefused(_refusal(rs, code))
    entries = [entry for ret in rs if isinstance(ret.tag, str) for entry in _entries(kind, ret)]
    remaining = _int(rs.get("iteratorRemainingCount"))
    if phases[phase].paged and remaining and rs.get("iteratorID"):
        return Page(entries=entries, next=f"{phase}:{rs.get('iteratorID')}")
    return Page(entries=entries, next=f"{phase + 1}:" if phase + 1 < len(phases) else None)


def _refusal(rs, code: int) -> str:
    return f"{rs.get('statusMessage') or 'QuickBooks refused the query.'} ({code})"


# --- what each kind of Ret becomes --------------------------------------------------------------------------------


def _entries(kind: ListKind, ret) -> list[Entry]:
    reader = _READERS.get(local_name(ret))
    return reader(ret) if reader else []


def _account(ret) -> list[Entry]:
    account_type = _t(ret, "AccountType")
    fields = {
        "external_id": _t(ret, "ListID"),
        "code": _t(ret, "FullName"),
        "name": _t(ret, "FullName"),
        "kind_detail": account_type,
        "active": _active(ret),
        "extra": _clean(
            {
                "type": account_type,
                "number": _t(ret, "AccountNumber"),
                "special": _t(ret, "SpecialAccountType"),
                "currency": _t(ret, "CurrencyRef/FullName"),
            }
        ),
    }
    usage = (
        "sales"
        if account_type in SALES_ACCOUNT_TYPES
        else "purchases"
        if account_type in PURCHASE_ACCOUNT_TYPES
        else ""
    )
    entries = [] if account_type in NOT_A_CATEGORY else [Entry(kind=A, usage=usage, **fields)]
    if account_type in PAYMENT_ACCOUNT_TYPES:
        entries.append(Entry(kind=PA, **fields))
    return entries


def _sales_tax_code(ret) -> list[Entry]:
    purchase_item, sales_item = _t(ret, "ItemPurchaseTaxRef/FullName"), _t(ret, "ItemSalesTaxRef/FullName")
    # The US edition's codes (Tax, Non) name no tax items and go on sales lines only; other editions' codes name
    # the purchase and sales tax items they apply, and go on the lines of those.
    usage = "purchases" if purchase_item and not sales_item else "" if purchase_item else "sales"
    extra = {"type": "SalesTaxCode", "taxable": _t(ret, "IsTaxable") == "true"}
    extra |= _clean({"purchase_tax_item": purchase_item, "sales_tax_item": sales_item})
    name = _t(ret, "Name")
    return [
        Entry(
            kind=T,
            external_id=_t(ret, "ListID"),
            code=name,
            name=_t(ret, "Desc") or name,
            kind_detail="SalesTaxCode",
            usage=usage,
            active=_active(ret),
            extra=extra,
        )
    ]


def _sales_tax_item(ret) -> list[Entry]:
    name = _t(ret, "Name")
    return [
        Entry(
            kind=T,
            external_id=_t(ret, "ListID"),
            code=name,
            name=name,
            kind_detail="ItemSalesTax",
            rate=_decimal(_t(ret, "TaxRate")),
            active=_active(ret),
            extra=_clean(
                {"type": "ItemSalesTax", "description": _t(ret, "ItemDesc"), "agency": _t(ret, "TaxVendorRef/FullName")}
            ),
        )
    ]


def _contact(detail: str, name_tag: str):
    def read(ret) -> list[Entry]:
        extra = _clean({"company": _t(ret, "CompanyName"), "currency": _t(ret, "CurrencyRef/FullName")})
        return [
            Entry(
                kind=C,
                external_id=_t(ret, "ListID"),
                name=_t(ret, name_tag),
                kind_detail=detail,
                active=_active(ret),
                extra=extra,
            )
        ]

    return read


def _item(item_type: str):
    def read(ret) -> list[Entry]:
        sales = ret.find("SalesOrPurchase")
        both = ret.find("SalesAndPurchase")
        if sales is not None:
            description, price, account = _t(sales, "Desc"), _t(sales, "Price"), _t(sales, "AccountRef/FullName")
        elif both is not None:
            description, price = _t(both, "SalesDesc"), _t(both, "SalesPrice")
            account = _t(both, "IncomeAccountRef/FullName")
        else:
            description = price = account = ""
        extra = {"type": item_type} | _clean(
            {
                "description": description,
                "price": price,
                "account": account,
                "sales_tax_code": _t(ret, "SalesTaxCodeRef/FullName"),
            }
        )
        name = _t(ret, "FullName")
        return [
            Entry(
                kind=PR,
                external_id=_t(ret, "ListID"),
                code=name,
                name=name,
                kind_detail=item_type,
                active=_active(ret),
                extra=extra,
            )
        ]

    return read


def _class(ret) -> list[Entry]:
    name = _t(ret, "FullName")
    return [
        Entry(kind=TR, external_id=_t(ret, "ListID"), code=name, name=name, kind_detail="Class", active=_active(ret))
    ]


_READERS = {
    "AccountRet": _account,
    "SalesTaxCodeRet": _sales_tax_code,
    "ItemSalesTaxRet": _sales_tax_item,
    "VendorRet": _contact("supplier", "Name"),
    "CustomerRet": _contact("customer", "FullName"),
    "ItemServiceRet": _item("Service"),
    "ItemNonInventoryRet": _item("NonInventory"),
    "ItemOtherChargeRet": _item("OtherCharge"),
    "ClassRet": _class,
}


def _t(element, path: str) -> str:
    return (element.findtext(path) or "").strip()


def _active(ret) -> bool:
    return _t(ret, "IsActive") != "false"


def _clean(values: dict) -> dict:
    return {key: value for key, value in values.items() if value not in ("", None)}


def _int(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        raise qbxml.QBXMLError("An iteratorRemainingCount that is not a number.") from None


def _decimal(value: str) -> Decimal | None:
    try:
        return Decimal(value) if value else None
    except InvalidOperation:
        return None
