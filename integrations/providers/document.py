"""What a provider client is asked to publish: a plain snapshot of an item, no ORM objects."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class PublishDocument:
    reference: str  # our item id: providers keep it so a retry can find the first document
    idempotency_key: str
    kind: str  # cost | expense_claim | sales
    contact_name: str
    date: date
    due_date: date | None
    invoice_number: str
    currency: str
    total: Decimal
    tax: Decimal | None
    category: str
    tax_rate: str
    description: str
    payment_method: str
    paid: bool
    publish_as: str
    external_id: str = ""  # set when the item was published before: update instead of create
    attachment: Attachment | None = None

    @property
    def account_code(self) -> str:
        """ "429 General Expenses" → "429": the code part of a category."""
        return (self.category or "").split(" ", 1)[0]

    @property
    def net(self) -> Decimal:
        return self.total - (self.tax or Decimal("0"))

    @property
    def line_description(self) -> str:
        return self.description or f"{self.contact_name} {self.invoice_number}".strip()
