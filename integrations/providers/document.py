"""What a provider client is asked to publish: a plain snapshot of an item, no ORM objects."""

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class Coding:
    """An entry of the ledger's lists as the provider knows it: its own id, its code (Xero's account code or
    TaxType, QuickBooks Desktop's full name), its name and what else the sync kept (``extra``)."""

    external_id: str
    code: str
    name: str
    extra: dict = field(default_factory=dict)


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
    # Unique to one publish job (its id): what a batch request's idempotency key is made of.
    job_key: str = ""
    # An earlier attempt may have reached the provider (a retry, or an item that failed before): a provider
    # without idempotency keys must look for the first document before it creates one.
    maybe_sent: bool = True
    # An earlier publish job of this item may have reached the provider (it gave up after lost answers, or its
    # authorisation lapsed), under another request's idempotency key than this one's: providers with keys must
    # look for that document too before they create one.
    sent_before: bool = False
    # The coding, from the lists of the connection the document goes to (DESIGN.md §9): what a client sends as the
    # account, the tax rate and the account a paid item was paid from. None: not coded (the text fields above say
    # what the item asked for).
    category_ref: Coding | None = None
    tax_rate_ref: Coding | None = None
    payment_account_ref: Coding | None = None
    # The item's page in the product (its last path part is ``reference``): ledgers that keep a link back to the
    # source document (Xero's ``Url``) get it, and a document is recognised by it where no reference is kept.
    source_url: str = ""

    @property
    def net(self) -> Decimal:
        return self.total - (self.tax or Decimal("0"))

    @property
    def line_description(self) -> str:
        return self.description or f"{self.contact_name} {self.invoice_number}".strip()


def request_key(docs: list[PublishDocument]) -> str:
    """The idempotency key of one create request: a lone document keeps its job's own key; a batch's key is
    made of its jobs, so the same jobs sent again (a retry after a crash or a timeout) replay the first answer,
    and another batch of the same items (published again after a failure) is a new request."""
    if len(docs) == 1:
        return docs[0].idempotency_key
    return uuid.uuid5(uuid.NAMESPACE_URL, "batch:" + ",".join(sorted(d.job_key for d in docs))).hex
