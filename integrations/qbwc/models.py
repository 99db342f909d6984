"""One row per Web Connector session (one poll that had work): its ticket and where it stands."""

import uuid

from django.db import models

from accounts.tenancy import TenantModel


class WebConnectorSession(TenantModel):
    """A ticket handed out by ``authenticate`` and the state the SOAP calls that follow share.

    The ticket is a bearer secret for the length of the session only: it stops working when the Web
    Connector closes the connection or after ``services.SESSION_IDLE_TIMEOUT`` without a call.
    ``business`` is always the connection's business.
    """

    ticket = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    connection = models.ForeignKey("integrations.Connection", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)
    company_file = models.CharField(max_length=500, blank=True, help_text="As reported by the Web Connector.")
    pending_request_key = models.CharField(
        max_length=255, blank=True, help_text="The work item whose qbXML request QuickBooks is processing."
    )
    completed_requests = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["connection", "-created_at"])]

    def __str__(self) -> str:
        state = "closed" if self.closed_at else "open"
        return f"Web Connector session {self.created_at:%Y-%m-%d %H:%M} ({state})"
