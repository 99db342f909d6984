"""What the fake QuickBooks checks before it does anything with a request, as QuickBooks validates a message against
its qbXML schema: the children of each element in the schema's order (from Intuit's qbxmlops130.xml; a child may be
absent or, where the schema says so, repeated, but never ahead of one listed before it), the attributes a request
takes (``AccountQueryRq``, ``ClassQueryRq`` and ``SalesTaxCodeQueryRq`` take no iterator), references that name
something, and the elements the US edition does not have (a sales tax code on an expense line). A failed check is
the HRESULT of a parse error for the whole message, as QuickBooks answers it."""

from __future__ import annotations

_LIST_FILTERS = ("ListID", "FullName", "MaxReturned", "ActiveStatus", "FromModifiedDate", "ToModifiedDate")
_NAME_FILTERS = ("NameFilter", "NameRangeFilter")
_TXN_QUERY = (
    "TxnID",
    "RefNumber",
    "RefNumberCaseSensitive",
    "MaxReturned",
    "ModifiedDateRangeFilter",
    "TxnDateRangeFilter",
    "EntityFilter",
    "AccountFilter",
    "RefNumberFilter",
    "RefNumberRangeFilter",
    "CurrencyFilter",
    "PaidStatus",
    "IncludeLineItems",
    "IncludeLinkedTxns",
    "IncludeRetElement",
    "OwnerID",
)
_ITEM_QUERY = (*_LIST_FILTERS, *_NAME_FILTERS, "ClassFilter", "IncludeRetElement", "OwnerID")
_ENTITY_QUERY = (
    *_LIST_FILTERS,
    *_NAME_FILTERS,
    "TotalBalanceFilter",
    "CurrencyFilter",
    "ClassFilter",
    "IncludeRetElement",
    "OwnerID",
)
_EXPENSE_LINE = (
    "AccountRef",
    "Amount",
    "TaxAmount",
    "Memo",
    "CustomerRef",
    "ClassRef",
    "SalesTaxCodeRef",
    "BillableStatus",
    "SalesRepRef",
    "DataExt",
)

SCHEMA_ORDER = {
    "AccountQueryRq": (*_LIST_FILTERS, *_NAME_FILTERS, "AccountType", "CurrencyFilter", "IncludeRetElement", "OwnerID"),
    "ClassQueryRq": (*_LIST_FILTERS, *_NAME_FILTERS, "IncludeRetElement"),
    "SalesTaxCodeQueryRq": (*_LIST_FILTERS, *_NAME_FILTERS, "IncludeRetElement"),
    "ItemSalesTaxQueryRq": _ITEM_QUERY,
    "ItemServiceQueryRq": _ITEM_QUERY,
    "ItemNonInventoryQueryRq": _ITEM_QUERY,
    "ItemOtherChargeQueryRq": _ITEM_QUERY,
    "VendorQueryRq": _ENTITY_QUERY,
    "CustomerQueryRq": _ENTITY_QUERY,
    "VendorAddRq": ("VendorAdd", "IncludeRetElement"),
    "VendorAdd": ("Name", "IsActive", "ClassRef", "IsTaxAgency", "CompanyName"),
    "BillQueryRq": _TXN_QUERY,
    "CheckQueryRq": tuple(t for t in _TXN_QUERY if t != "PaidStatus"),
    "CreditCardChargeQueryRq": tuple(t for t in _TXN_QUERY if t not in ("PaidStatus", "IncludeLinkedTxns")),
    "InvoiceQueryRq": _TXN_QUERY,
    "TxnDateRangeFilter": ("FromTxnDate", "ToTxnDate", "DateMacro"),
    "EntityFilter": ("ListID", "FullName", "ListIDWithChildren", "FullNameWithChildren"),
    "RefNumberRangeFilter": ("FromRefNumber", "ToRefNumber"),
    "BillAddRq": ("BillAdd", "IncludeRetElement"),
    "BillAdd": (
        "VendorRef",
        "VendorAddress",
        "APAccountRef",
        "TxnDate",
        "DueDate",
        "RefNumber",
        "TermsRef",
        "Memo",
        "IsTaxIncluded",
        "SalesTaxCodeRef",
        "ExchangeRate",
        "ExternalGUID",
        "LinkToTxnID",
        "ExpenseLineAdd",
        "ItemLineAdd",
        "ItemGroupLineAdd",
    ),
    "CheckAddRq": ("CheckAdd", "IncludeRetElement"),
    "CheckAdd": (
        "AccountRef",
        "PayeeEntityRef",
        "RefNumber",
        "TxnDate",
        "Memo",
        "Address",
        "IsToBePrinted",
        "IsTaxIncluded",
        "SalesTaxCodeRef",
        "ExchangeRate",
        "ExternalGUID",
        "ApplyCheckToTxnAdd",
        "ExpenseLineAdd",
        "ItemLineAdd",
        "ItemGroupLineAdd",
    ),
    "CreditCardChargeAddRq": ("CreditCardChargeAdd", "IncludeRetElement"),
    "CreditCardChargeAdd": (
        "AccountRef",
        "PayeeEntityRef",
        "TxnDate",
        "RefNumber",
        "Memo",
        "IsTaxIncluded",
        "SalesTaxCodeRef",
        "ExchangeRate",
        "ExternalGUID",
        "ExpenseLineAdd",
        "ItemLineAdd",
        "ItemGroupLineAdd",
    ),
    "ExpenseLineAdd": _EXPENSE_LINE,
    "InvoiceAddRq": ("InvoiceAdd", "IncludeRetElement"),
    "InvoiceAdd": (
        "CustomerRef",
        "ClassRef",
        "ARAccountRef",
        "TemplateRef",
        "TxnDate",
        "RefNumber",
        "BillAddress",
        "ShipAddress",
        "IsPending",
        "IsFinanceCharge",
        "PONumber",
        "TermsRef",
        "DueDate",
        "SalesRepRef",
        "FOB",
        "ShipDate",
        "ShipMethodRef",
        "ItemSalesTaxRef",
        "Memo",
        "CustomerMsgRef",
        "IsToBePrinted",
        "IsToBeEmailed",
        "IsTaxIncluded",
        "CustomerSalesTaxCodeRef",
        "Other",
        "ExchangeRate",
        "ExternalGUID",
        "LinkToTxnID",
        "SetCredit",
        "InvoiceLineAdd",
        "InvoiceLineGroupAdd",
    ),
    "InvoiceLineAdd": (
        "ItemRef",
        "Desc",
        "Quantity",
        "UnitOfMeasure",
        "Rate",
        "RatePercent",
        "PriceLevelRef",
        "ClassRef",
        "Amount",
        "TaxAmount",
        "OptionForPriceRuleConflict",
        "InventorySiteRef",
        "InventorySiteLocationRef",
        "SerialNumber",
        "LotNumber",
        "ServiceDate",
        "SalesTaxCodeRef",
        "IsTaxable",
        "OverrideItemAccountRef",
        "Other1",
        "Other2",
        "LinkToTxn",
        "DataExt",
    ),
}
REF_CHILDREN = ("ListID", "FullName")

# The attributes each request takes (every other one is a parse error).
ITERATED = {
    "VendorQueryRq",
    "CustomerQueryRq",
    "ItemSalesTaxQueryRq",
    "ItemServiceQueryRq",
    "ItemNonInventoryQueryRq",
    "ItemOtherChargeQueryRq",
    "BillQueryRq",
    "CheckQueryRq",
    "CreditCardChargeQueryRq",
    "InvoiceQueryRq",
}
QUERY_ATTRIBUTES = {"requestID", "metaData"}
ITERATOR_ATTRIBUTES = {"iterator", "iteratorID"}

# Elements the US edition's schema does not have ("not in QBD" in the operations description).
NOT_IN_US = {
    ("BillAdd", "IsTaxIncluded"),
    ("BillAdd", "SalesTaxCodeRef"),
    ("CheckAdd", "IsTaxIncluded"),
    ("CheckAdd", "SalesTaxCodeRef"),
    ("CreditCardChargeAdd", "IsTaxIncluded"),
    ("CreditCardChargeAdd", "SalesTaxCodeRef"),
    ("ExpenseLineAdd", "SalesTaxCodeRef"),
    ("ExpenseLineAdd", "TaxAmount"),
    ("InvoiceAdd", "IsTaxIncluded"),
    ("InvoiceLineAdd", "TaxAmount"),
}


class SchemaViolation(Exception):
    pass


def check_request(rq, *, country: str) -> None:
    """Raise SchemaViolation where QuickBooks would not parse ``rq`` (a request element)."""
    allowed = {"requestID"}
    if rq.tag.endswith("QueryRq"):
        allowed = QUERY_ATTRIBUTES | (ITERATOR_ATTRIBUTES if rq.tag in ITERATED else set())
    if set(rq.attrib) - allowed:
        raise SchemaViolation(f"{rq.tag} takes no {', '.join(sorted(set(rq.attrib) - allowed))} attribute.")
    if rq.get("iterator") not in (None, "Start", "Continue", "Stop"):
        raise SchemaViolation("iterator is Start, Continue or Stop.")
    _check_children(rq, country=country)


def _check_children(element, *, country: str) -> None:
    order = SCHEMA_ORDER.get(element.tag)
    position = 0
    for child in element:
        if child.tag.endswith("Ref") and (len(child) == 0 or any(c.tag not in REF_CHILDREN for c in child)):
            raise SchemaViolation(f"{child.tag} names nothing.")
        if country == "US" and (element.tag, child.tag) in NOT_IN_US:
            raise SchemaViolation(f"{element.tag} has no {child.tag} in the US edition.")
        if order is not None:
            if child.tag not in order or order.index(child.tag) < position:
                raise SchemaViolation(f"{child.tag} is out of place in {element.tag}.")
            position = order.index(child.tag)
        _check_children(child, country=country)
