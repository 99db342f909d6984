"""What the provider sandbox remembers: organisations, OAuth grants and tokens, Bill.com sessions,
the documents and contacts it received, idempotent answers, fault switches and rate counters.

Times are written from :func:`integrations.sandbox.clock.now` (never ``auto_now``) so that tests can
travel in time.
"""

from django.db import models

from dext_connections.fields import JSONField


class Provider(models.TextChoices):
    XERO = "xero", "Xero"
    QUICKBOOKS_ONLINE = "quickbooks_online", "QuickBooks Online"
    QUICKBOOKS_DESKTOP = "quickbooks_desktop", "QuickBooks Desktop"
    APPROVALMAX = "approvalmax", "ApprovalMax"
    BILL_COM = "bill_com", "Bill.com"


class Organisation(models.Model):
    """A Xero tenant, a QuickBooks realm, an ApprovalMax company or a Bill.com organisation."""

    provider = models.CharField(max_length=32, choices=Provider.choices)
    external_id = models.CharField(max_length=64)
    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["provider", "position"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "external_id"], name="sandbox_organisation_unique"),
        ]

    def __str__(self):
        return f"{self.provider}: {self.name}"


class Grant(models.Model):
    """One consent given on an authorize page: which client may reach which organisations."""

    provider = models.CharField(max_length=32, choices=Provider.choices)
    client_id = models.CharField(max_length=200)
    scope = models.TextField(blank=True)
    pkce = models.BooleanField(default=False)
    organisations = models.ManyToManyField(Organisation, related_name="grants")
    auth_event_id = models.UUIDField()
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.provider} grant to {self.client_id}"

    @property
    def scopes(self) -> list[str]:
        return self.scope.split()


class AuthorizationCode(models.Model):
    code = models.CharField(max_length=100, unique=True)
    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="codes")
    client_id = models.CharField(max_length=200)
    redirect_uri = models.TextField()
    code_challenge = models.CharField(max_length=200, blank=True)
    code_challenge_method = models.CharField(max_length=10, blank=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"code for {self.client_id}"


class TokenKind(models.TextChoices):
    ACCESS = "access", "Access token"
    REFRESH = "refresh", "Refresh token"


class Token(models.Model):
    """An access or a refresh token. A refresh token that was rotated keeps ``replaced_at``; it keeps
    working until ``replaced_at`` + the provider's grace period."""

    kind = models.CharField(max_length=10, choices=TokenKind.choices)
    value = models.CharField(max_length=2000, unique=True)
    grant = models.ForeignKey(Grant, on_delete=models.CASCADE, related_name="tokens")
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    rotated_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL)
    replaced_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.kind} token #{self.pk}"


class BillComSession(models.Model):
    session_id = models.CharField(max_length=100, unique=True)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    user_id = models.CharField(max_length=40)
    dev_key = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Bill.com session #{self.pk}"


class Contact(models.Model):
    """A Xero contact, a QuickBooks vendor or customer, a Bill.com vendor."""

    provider = models.CharField(max_length=32, choices=Provider.choices)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField(max_length=20)
    external_id = models.CharField(max_length=64)
    name = models.CharField(max_length=500)
    body = JSONField(default=dict)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "organisation", "external_id"], name="sandbox_contact_unique"),
        ]

    def __str__(self):
        return f"{self.provider} {self.kind}: {self.name}"


class Document(models.Model):
    """A bill, invoice, spend-money transaction or approval request the provider received.

    ``reference`` carries the product's item id (the rule per provider is in the package docstring);
    ``received`` is the element as the client sent it, ``body`` the provider's answer for it.
    """

    provider = models.CharField(max_length=32, choices=Provider.choices)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="documents"
    )
    external_id = models.CharField(max_length=64)
    type = models.CharField(max_length=40)
    reference = models.CharField(max_length=500, blank=True)
    total = models.DecimalField(max_digits=16, decimal_places=4, null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    received = JSONField(default=dict)
    body = JSONField(default=dict)
    idempotency_key = models.CharField(max_length=128, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "organisation", "external_id"], name="sandbox_document_unique"),
        ]
        indexes = [models.Index(fields=["provider", "reference"])]

    def __str__(self):
        return f"{self.provider} {self.type} {self.external_id}"


class Attachment(models.Model):
    document = models.ForeignKey(Document, on_delete=models.CASCADE, related_name="attachments")
    external_id = models.CharField(max_length=64)
    file_name = models.CharField(max_length=500)
    content_type = models.CharField(max_length=200, blank=True)
    content = models.BinaryField()
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return self.file_name


class IdempotentAnswer(models.Model):
    """The first successful answer to a create carrying Xero's ``Idempotency-Key`` or QuickBooks'
    ``requestid``; a replay gets it again and creates nothing."""

    provider = models.CharField(max_length=32, choices=Provider.choices)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    key = models.CharField(max_length=128)
    status = models.PositiveSmallIntegerField()
    body = JSONField()
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "organisation", "key"], name="sandbox_idempotent_unique"),
        ]

    def __str__(self):
        return f"{self.provider} {self.key}"


class FaultMode(models.TextChoices):
    NONE = "none", "No fault"
    RATE_LIMIT = "rate_limit", "429 Too Many Requests"
    SERVER_ERROR = "server_error", "500 Internal Server Error"
    TIMEOUT = "timeout", "Slow answer, then 504"
    SLOW_WORK = "slow_work", "A write takes its time, then is done and answered"
    LOST_ANSWER = "lost_answer", "A write is done, then the connection drops"
    SLOW_ANSWER = "slow_answer", "A write is done, then answered after the client's timeout"
    EXPIRE_TOKENS = "expire_tokens", "Expire every current access token (once)"
    REVOKE_REFRESH = "revoke_refresh", "Revoke every current refresh token (once)"
    DISCONNECT = "disconnect", "Every organisation disconnects the app (once): tokens live, access gone"


class Fault(models.Model):
    """One provider's switch. Its draws are numbered: draw ``n`` under ``seed`` always comes out the same, so
    a run's faults can be replayed by setting the switch again with the seed it reported."""

    provider = models.CharField(max_length=32, choices=Provider.choices, unique=True)
    mode = models.CharField(max_length=20, choices=FaultMode.choices, default=FaultMode.NONE)
    rate = models.FloatField(default=1.0)
    retry_after = models.PositiveIntegerField(default=1)
    remaining = models.PositiveIntegerField(null=True, blank=True)
    seed = models.BigIntegerField(default=0)
    draws = models.PositiveBigIntegerField(default=0, help_text="How many calls have drawn since the switch was set.")
    delay = models.FloatField(null=True, blank=True, help_text="Seconds a slow mode waits; null: its default.")
    updated_at = models.DateTimeField()

    def __str__(self):
        return f"{self.provider}: {self.mode}"


class RateCounter(models.Model):
    """Calls counted in a fixed window (a minute, a day, …), shared by every process."""

    key = models.CharField(max_length=200)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "window_start"], name="sandbox_ratecounter_unique"),
        ]

    def __str__(self):
        return f"{self.key} @ {self.window_start:%Y-%m-%d %H:%M}: {self.count}"


class InFlightCall(models.Model):
    """A call being answered right now, for the concurrency limits."""

    key = models.CharField(max_length=200, db_index=True)
    started_at = models.DateTimeField()

    def __str__(self):
        return self.key
