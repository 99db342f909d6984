"""The one specification of the fields of items and supplier rules (issue 13): what each is, how a supplier rule
applies it, whether readiness needs it, and which of the ledger's lists codes it. Forms, serializers, services and
the SQL builders (publishing/coding.py) read it; nothing else lists these fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from integrations.lists.models import ListKind


class Kind(StrEnum):
    TEXT = "text"
    DATE = "date"
    MONEY = "money"
    BOOL = "bool"
    CURRENCY = "currency"
    INT = "int"
    CHOICE = "choice"


class RuleMode(StrEnum):
    """How a supplier rule applies: to an item that just got its supplier (``FILL``: the rule fills what the item
    does not say) or, asked for on the rule's page, to the supplier's inbox (``OVERWRITE``: the rule's values win)."""

    FILL = "fill"
    OVERWRITE = "overwrite"


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: Kind
    max_length: int = 0
    on_item: bool = True
    on_rule: bool = False
    required: bool = False  # readiness: an item without it is to_review
    coding: ListKind | None = None  # coded from this list of the item's ledger (the entry sits beside the text)
    sql_type: str = "text"

    @property
    def entry_column(self) -> str:
        """The list-entry column beside a coded field (``category`` → ``category_entry_id``)."""
        return f"{CODING_ENTRY[self.name]}_id"

    @property
    def entry_field(self) -> str:
        return CODING_ENTRY[self.name]


# The coded fields' entries, by the text field's name (the API calls them category_id, tax_rate_id and
# payment_account_id).
CODING_ENTRY = {"category": "category_entry", "tax_rate": "tax_rate_entry", "payment_method": "payment_account_entry"}
API_ID = {"category": "category_id", "tax_rate": "tax_rate_id", "payment_method": "payment_account_id"}

FIELDS: tuple[Field, ...] = (
    Field("date", "Date", Kind.DATE, required=True, sql_type="date"),
    Field("due_date", "Due date", Kind.DATE, sql_type="date"),
    Field("invoice_number", "Invoice no.", Kind.TEXT, max_length=100),
    Field("currency", "Currency", Kind.CURRENCY, max_length=3, on_rule=True),
    Field("total", "Total", Kind.MONEY, required=True, sql_type="numeric"),
    Field("tax", "Tax", Kind.MONEY, sql_type="numeric"),
    Field("category", "Category", Kind.TEXT, max_length=100, on_rule=True, required=True, coding=ListKind.ACCOUNTS),
    Field("tax_rate", "Tax rate", Kind.TEXT, max_length=100, on_rule=True, coding=ListKind.TAX_RATES),
    Field("description", "Description", Kind.TEXT, max_length=500, on_rule=True),
    Field(
        "payment_method",
        "Payment account",
        Kind.TEXT,
        max_length=100,
        on_rule=True,
        coding=ListKind.PAYMENT_ACCOUNTS,
    ),
    Field("paid", "Paid", Kind.BOOL, on_rule=True, sql_type="boolean"),
    Field("publish_as", "Publish as", Kind.CHOICE, max_length=40, on_rule=True),
    Field("due_in_days", "Due in (days)", Kind.INT, on_item=False, on_rule=True, sql_type="int"),
    Field("auto_publish", "Auto-publish", Kind.CHOICE, max_length=10, on_item=False, on_rule=True),
)
BY_NAME = {f.name: f for f in FIELDS}

ITEM_FIELDS = tuple(f.name for f in FIELDS if f.on_item)
RULE_FIELDS = tuple(f.name for f in FIELDS if f.on_rule)
CODED = tuple(f for f in FIELDS if f.coding is not None)
REQUIRED = tuple(f.name for f in FIELDS if f.required and f.coding is None)
# The plain text fields a rule applies (its coded fields, paid, currency and the due date have rules of their own).
RULE_TEXT = tuple(f.name for f in FIELDS if f.on_item and f.on_rule and f.coding is None and f.kind is not Kind.BOOL)
RULE_TEXT = tuple(name for name in RULE_TEXT if name != "currency")
LABELS = {f.name: f.label for f in FIELDS}
