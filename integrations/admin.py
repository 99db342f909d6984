from django.contrib import admin

from integrations.models import Connection


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    """Credentials are never shown: the field is excluded and not editable."""

    list_display = ["business", "provider", "kind", "status", "organisation_name", "connected_at"]
    list_filter = ["provider", "kind", "status"]
    search_fields = ["business__name", "organisation_name"]
    exclude = ["credentials"]
    readonly_fields = [
        "business",
        "provider",
        "kind",
        "external_tenant_id",
        "connected_by",
        "connected_at",
        "access_token_expires_at",
        "disconnected_by",
        "disconnected_at",
    ]
    list_select_related = ["business"]

    def has_add_permission(self, request):
        return False
