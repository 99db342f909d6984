"""Items (costs, expense claims, sales), suppliers and customers, supplier rules, publish jobs."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

from accounts.tenancy import TenantModel
from dext_connections.fields import JSONField


class ItemKind(models.TextChoices):
    COST = "cost", "Cost"
    EXPENSE_CLAIM = "expense_claim", "Expense claim"
    SALES = "sales", "Sales"


class ItemState(models.TextChoices):
    TO_REVIEW = "to_review", "To review"
    READY = "ready", "Ready"
    QUEUED = "queued", "Queued"
    PUBLISHING = "publishing", "Publishing"
    PUBLISHED = "published", "Published"
    ARCHIVED = "archived", "Archived"


UNPUBLISHED_STATES = (ItemState.TO_REVIEW, ItemState.READY)
IN_FLIGHT_STATES = (ItemState.QUEUED, ItemState.PUBLISHING)


class IntegrationSource(models.TextChoices):
    MAIN_ONLY = "main_only", "Sales always go to the main connection"
    MANUAL = "manual", "Chosen by hand"
    SUPPLIER_RULE = "supplier_rule", "Supplier rule"
    DEFAULT = "default", "Default"
    MAIN = "main", "Main connection"


class AttachmentStatus(models.TextChoices):
    """Where a published document's attachment stands: uploaded after the document was made (its id saved first), so
    a refused or failed upload leaves the item published, saying so, with a Retry attachment action."""

    NONE = "", "No attachment to send"
    PENDING = "pending", "Waiting to be uploaded"
    SENDING = "sending", "Being uploaded"
    SENT = "sent", "Uploaded"
    FAILED = "failed", "Not uploaded"
    KEPT_HERE = "kept_here", "Kept here only (the ledger takes no attachments)"


class AutoPublish(models.TextChoices):
    ALWAYS = "always", "Always"
    NEVER = "never", "Never"


class Contact(TenantModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Supplier(Contact):
    class Meta(Contact.Meta):
        constraints = [models.UniqueConstraint("business", Lower("name"), name="uniq_supplier_name_ci")]


class Customer(Contact):
    class Meta(Contact.Meta):
        constraints = [models.UniqueConstraint("business", Lower("name"), name="uniq_customer_name_ci")]


class SupplierRule(TenantModel):
    """What every item of one supplier gets: coding, payment, auto-publish and integration."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="rules")
    integration = models.ForeignKey(
        "integrations.Connection", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    category = models.CharField(max_length=100, blank=True)
    tax_rate = models.CharField(max_length=100, blank=True)
    payment_method = models.CharField(max_length=100, blank=True)
    # The same three as entries of the lists of the rule's integration (or of the default one when it names none).
    category_entry = models.ForeignKey(
        "integrations.ListEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    tax_rate_entry = models.ForeignKey(
        "integrations.ListEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    payment_account_entry = models.ForeignKey(
        "integrations.ListEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    paid = models.BooleanField(null=True, blank=True)
    due_in_days = models.PositiveIntegerField(null=True, blank=True)
    description = models.CharField(max_length=500, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    auto_publish = models.CharField(max_length=10, choices=AutoPublish.choices, null=True, blank=True)  # noqa: DJ001 - null is "unset", distinct from never
    publish_as = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["supplier__name"]
        constraints = [models.UniqueConstraint(fields=["business", "supplier"], name="one_rule_per_supplier")]

    def __str__(self) -> str:
        return f"Rule for {self.supplier}"


class Item(TenantModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Every index of the table leads with the business: a single-column one would only slow the writes (each
    # publish changes an item's state three times, and the state is indexed).
    business = models.ForeignKey("accounts.Business", on_delete=models.CASCADE, related_name="+", db_index=False)
    kind = models.CharField(max_length=20, choices=ItemKind.choices)
    state = models.CharField(max_length=20, choices=ItemState.choices, default=ItemState.TO_REVIEW)
    supplier = models.ForeignKey(Supplier, null=True, blank=True, on_delete=models.PROTECT, related_name="items")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="items")
    date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    invoice_number = models.CharField(max_length=100, blank=True)
    currency = models.CharField(max_length=3, default="GBP")
    total = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    tax = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    category = models.CharField(max_length=100, blank=True)
    tax_rate = models.CharField(max_length=100, blank=True)
    payment_method = models.CharField(max_length=100, blank=True)
    # The coding as entries of the lists of the item's integration (DESIGN.md §9); the text fields above say the
    # same in words (an entry's code, else its name) and keep what was asked for until it matches an entry. Not
    # indexed: entries are never deleted, and every index is one more write per publish.
    category_entry = models.ForeignKey(
        "integrations.ListEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    tax_rate_entry = models.ForeignKey(
        "integrations.ListEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    payment_account_entry = models.ForeignKey(
        "integrations.ListEntry", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    paid = models.BooleanField(default=False)
    description = models.CharField(max_length=500, blank=True)
    attachment = models.FileField(upload_to="attachments/%Y/%m/", blank=True)
    publish_as = models.CharField(max_length=40, blank=True)
    integration = models.ForeignKey(
        "integrations.Connection", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    integration_source = models.CharField(max_length=20, choices=IntegrationSource.choices, null=True, blank=True)  # noqa: DJ001 - null: not resolved
    integration_chosen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_publish_error = models.TextField(null=True, blank=True)  # noqa: DJ001 - null: no error
    last_publish_error_at = models.DateTimeField(null=True, blank=True)
    last_publish_error_kind = models.CharField(max_length=20, blank=True, help_text="auth, validation, transient…")
    external_id = models.CharField(max_length=255, blank=True)
    external_url = models.URLField(max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    publish_attempts = models.PositiveIntegerField(default=0)
    attachment_status = models.CharField(max_length=10, choices=AttachmentStatus.choices, default="", blank=True)
    attachment_error = models.CharField(max_length=500, blank=True)
    attachment_status_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The inbox: one business, one kind, one tab, newest first, keyset on (created_at, id).
            models.Index(fields=["business", "kind", "state", "-created_at", "-id"], name="item_inbox"),
            # The Integration filter of a tab, newest first (a filter matching nothing stays cheap).
            models.Index(
                fields=["business", "integration", "kind", "state", "-created_at", "-id"], name="item_integration_tab"
            ),
            # The items API without filters.
            models.Index(fields=["business", "-created_at", "-id"], name="item_recent"),
            models.Index(fields=["business", "supplier", "state"], name="item_by_supplier"),
            # The month-end page's "published today" per client, without walking the business's published history.
            models.Index(
                fields=["business", "published_at"],
                condition=models.Q(state="published"),
                name="item_published_by_time",
            ),
            # Uploads waiting (publishing.limits.uploads_waiting, before each batch) and the attachments sweeper.
            models.Index(
                fields=["business", "integration", "attachment_status_at"],
                condition=models.Q(attachment_status__in=[AttachmentStatus.PENDING, AttachmentStatus.SENDING]),
                name="item_uploads_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.invoice_number or self.id}"

    @property
    def contact(self):
        return self.customer if self.kind == ItemKind.SALES else self.supplier


class ItemHistory(TenantModel):
    """Every change to an item: who, when, before, after, and why when a rule made it."""

    id = models.BigAutoField(primary_key=True)
    # Indexed by history_by_item (item, -id), which leads with it: a second index would only slow the inserts.
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="history", db_index=False)
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    field = models.CharField(max_length=40)
    before = models.TextField(blank=True)
    after = models.TextField(blank=True)
    reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["item", "-id"], name="history_by_item")]
        verbose_name_plural = "item history"

    def __str__(self) -> str:
        return f"{self.field}: {self.before} → {self.after}"


class PublishJobStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CLAIMED = "claimed", "Claimed by a worker"
    WAITING_WEB_CONNECTOR = "waiting_web_connector", "Waiting for QuickBooks Desktop"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


OPEN_JOB_STATUSES = (PublishJobStatus.PENDING, PublishJobStatus.CLAIMED, PublishJobStatus.WAITING_WEB_CONNECTOR)


class PublishJob(TenantModel):
    """The outbox: one row per publish request, written with the item's ``queued`` state."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="publish_jobs")
    connection = models.ForeignKey(  # indexed by job_by_connection, which leads with it
        "integrations.Connection", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    idempotency_key = models.CharField(max_length=64)
    queue = models.CharField(max_length=40, default="publish_interactive")
    status = models.CharField(max_length=30, choices=PublishJobStatus.choices, default=PublishJobStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    not_before = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_kind = models.CharField(max_length=20, blank=True)
    batch_key = models.CharField(
        max_length=32,
        blank=True,
        default="",
        help_text="Set when a worker claims the job with others for one request; kept until they have an answer.",
    )
    web_connector_step = models.CharField(
        max_length=20, blank=True, help_text="QuickBooks Desktop: the next qbXML step."
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            # At most one open job per item: publishing twice while queued is a no-op.
            models.UniqueConstraint(
                fields=["item"],
                condition=models.Q(status__in=["pending", "claimed", "waiting_web_connector"]),
                name="one_open_job_per_item",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "lease_expires_at"], name="job_sweep"),
            models.Index(fields=["connection", "status", "created_at"], name="job_by_connection"),
        ]

    def __str__(self) -> str:
        return f"Publish {self.item_id} → {self.connection_id} ({self.status})"


class PublishAttempt(TenantModel):
    id = models.BigAutoField(primary_key=True)
    job = models.ForeignKey(PublishJob, on_delete=models.CASCADE, related_name="attempt_log")
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=20)  # succeeded | auth | rate_limited | transient | validation
    request_summary = JSONField(default=dict, blank=True)
    response = JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.outcome} in {self.duration_ms} ms"
