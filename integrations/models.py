"""Connections to accounting software and the business's publishing defaults (the audit log is accounts')."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from accounts.tenancy import TenantModel
from dext_connections.crypto import EncryptedJSONField


class ProviderKind(models.TextChoices):
    MAIN = "main", "Main accounting software"
    ADDITIONAL = "additional", "Additional integration"


class ConnectionStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    NEEDS_RECONNECT = "needs_reconnect", "Needs reconnect"
    DISCONNECTED = "disconnected", "Disconnected"


LIVE_STATUSES = (ConnectionStatus.ACTIVE, ConnectionStatus.NEEDS_RECONNECT)


class Connection(TenantModel):
    """One business's link to one provider. Disconnected rows are kept for history."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    provider = models.CharField(max_length=40, help_text="A key of the provider registry.")
    kind = models.CharField(max_length=20, choices=ProviderKind.choices)
    status = models.CharField(max_length=20, choices=ConnectionStatus.choices, default=ConnectionStatus.ACTIVE)
    organisation_name = models.CharField(max_length=255, blank=True)
    external_tenant_id = models.CharField(
        max_length=255, blank=True, help_text="Xero tenant id, QuickBooks realm id, Bill.com organisation id…"
    )
    credentials = EncryptedJSONField(blank=True, default=dict, editable=False)
    access_token_expires_at = models.DateTimeField(null=True, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    connected_at = models.DateTimeField(auto_now_add=True)
    status_reason = models.CharField(max_length=500, blank=True)
    disconnected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    disconnected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["connected_at"]
        constraints = [
            # R1, enforced by PostgreSQL as well as by the services' row locks.
            models.UniqueConstraint(
                fields=["business"],
                condition=Q(kind="main") & ~Q(status="disconnected"),
                name="one_live_main_connection_per_business",
            ),
            models.UniqueConstraint(
                fields=["business", "provider"],
                condition=~Q(status="disconnected"),
                name="one_live_connection_per_provider",
            ),
        ]
        indexes = [models.Index(fields=["business", "status"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_status_display()})"

    @property
    def name(self) -> str:
        from integrations.providers import registry

        provider = registry.get_or_none(self.provider)
        return provider.name if provider else self.provider

    def accepts(self, item_kind: str) -> bool:
        """Whether this connection's provider takes items of ``item_kind`` (cost, expense_claim, sales)."""
        from integrations.providers import registry

        provider = registry.get_or_none(self.provider)
        return provider is not None and provider.accepts(item_kind)

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES


class PublishingDefaults(TenantModel):
    """R4: the business's Default publishing and Default expense claims integrations."""

    default_publishing_connection = models.ForeignKey(
        Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    default_expense_claims_connection = models.ForeignKey(
        Connection, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "publishing defaults"
        constraints = [models.UniqueConstraint(fields=["business"], name="one_defaults_row_per_business")]

    def __str__(self) -> str:
        return f"Defaults of {self.business_id}"


class OAuthState(TenantModel):
    """One OAuth authorization attempt: accepted once, for the user who started it, while fresh."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    state = models.CharField(max_length=64, unique=True)
    provider = models.CharField(max_length=40)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    secrets = EncryptedJSONField(blank=True, default=dict, editable=False)  # PKCE verifier, later the pending grant
    reconnect = models.ForeignKey(Connection, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"OAuth {self.provider} for {self.business_id}"


from integrations.lists.models import ConnectionLists, ListEntry  # noqa: E402, F401 - the lists are models of this app
