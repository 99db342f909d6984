"""Rows of the ledgers' lists, and each connection's sync state."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models.functions import Lower

from accounts.tenancy import TenantModel
from dext_connections.fields import JSONField


class ListKind(models.TextChoices):
    """The lists a ledger keeps; the value is also the list's name in the API's path (with a hyphen)."""

    ACCOUNTS = "accounts", "Accounts"
    TAX_RATES = "tax_rates", "Tax rates"
    PAYMENT_ACCOUNTS = "payment_accounts", "Payment accounts"
    CONTACTS = "contacts", "Contacts"
    PRODUCTS = "products", "Products and services"
    TRACKING = "tracking", "Tracking"

    @property
    def slug(self) -> str:
        return self.value.replace("_", "-")

    @classmethod
    def from_slug(cls, slug: str) -> ListKind | None:
        return next((kind for kind in cls if kind.slug == slug), None)


class ListSyncStatus(models.TextChoices):
    SYNCING = "syncing", "Syncing lists…"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class ListEntry(TenantModel):
    """One entry of one list of one connection: an account, a tax rate, a contact…

    ``external_id`` is the ledger's own id (Xero AccountID, QuickBooks Id, Bill.com chart of account id, QuickBooks
    Desktop ListID); ``code`` what people and some APIs call it by (Xero's account code or TaxType, QuickBooks
    Desktop's full name); ``kind_detail`` the entry's type in the ledger (EXPENSE, BANK, CREDITCARD…; supplier or
    customer for contacts); ``usage`` where it applies (purchases, sales or both), ``rate`` a tax rate's percent.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    business = models.ForeignKey("accounts.Business", on_delete=models.CASCADE, related_name="+", db_index=False)
    connection = models.ForeignKey(
        "integrations.Connection", on_delete=models.CASCADE, related_name="list_entries", db_index=False
    )
    kind = models.CharField(max_length=20, choices=ListKind.choices)
    external_id = models.CharField(max_length=255)
    code = models.CharField(max_length=255, blank=True)
    name = models.CharField(max_length=255)
    kind_detail = models.CharField(max_length=60, blank=True)
    usage = models.CharField(max_length=20, blank=True, help_text="purchases, sales, or empty for both")
    rate = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    active = models.BooleanField(default=True)
    extra = JSONField(default=dict, blank=True)
    seen_at = models.DateTimeField(help_text="When a sync last saw it in the ledger (older ones vanished).")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "list entries"
        constraints = [
            models.UniqueConstraint(fields=["connection", "kind", "external_id"], name="one_list_entry_per_ledger_id")
        ]
        indexes = [
            # The picker: one connection's list, active first, by name (a prefix search seeks in it).
            models.Index("business", "connection", "kind", Lower("name"), "id", name="list_entry_by_name"),
            models.Index("business", "connection", "kind", Lower("code"), name="list_entry_by_code"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """How a person reads it: "429 General Expenses", or the name alone."""
        if self.code and self.code != self.name and self.kind in (ListKind.ACCOUNTS, ListKind.PAYMENT_ACCOUNTS):
            return f"{self.code} {self.name}"
        return self.name

    @property
    def reference(self) -> str:
        """What an item's text field shows for it: its code when it has one, else its name (API.md)."""
        return self.code or self.name


class ConnectionLists(TenantModel):
    """A connection's lists: how the last sync went, the counts, and where each list's incremental sync resumes."""

    connection = models.OneToOneField(
        "integrations.Connection", on_delete=models.CASCADE, primary_key=True, related_name="lists_state"
    )
    status = models.CharField(max_length=20, choices=ListSyncStatus.choices, default=ListSyncStatus.SYNCING)
    started_at = models.DateTimeField(null=True, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True, help_text="When the last complete sync ended.")
    error = models.TextField(blank=True)
    counts = JSONField(default=dict, blank=True)
    # {kind: {"since": iso time of the last complete pass, "full_at": iso time of the last full pass}}
    cursors = JSONField(default=dict, blank=True)
    # The run in progress: {"kinds": [...], "index": n, "page": token|None, "run": iso, "full": bool}
    progress = JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "connection lists"

    def __str__(self) -> str:
        return f"Lists of {self.connection_id} ({self.status})"
