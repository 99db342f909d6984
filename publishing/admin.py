"""The Django admin for support staff: items, contacts, supplier rules, history and publish jobs.

Read-mostly. Lists join what they show (``list_select_related``) and search by exact ids or names,
so that they stay usable with millions of rows.
"""

from django.contrib import admin

from publishing.models import Customer, Item, ItemHistory, PublishAttempt, PublishJob, Supplier, SupplierRule


@admin.register(Supplier, Customer)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "business", "created_at"]
    search_fields = ["name", "business__name"]
    list_select_related = ["business"]
    raw_id_fields = ["business"]


@admin.register(SupplierRule)
class SupplierRuleAdmin(admin.ModelAdmin):
    list_display = ["supplier", "business", "integration", "category", "auto_publish", "updated_at"]
    list_select_related = ["supplier", "business", "integration"]
    search_fields = ["supplier__name", "business__name"]
    raw_id_fields = ["business", "supplier", "integration"]


class ItemHistoryInline(admin.TabularInline):
    model = ItemHistory
    extra = 0
    can_delete = False
    fields = ["at", "actor", "field", "before", "after", "reason"]
    readonly_fields = fields
    ordering = ["-id"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "business",
        "kind",
        "state",
        "supplier",
        "customer",
        "total",
        "integration_source",
        "created_at",
    ]
    list_filter = ["kind", "state", "integration_source"]
    list_select_related = ["business", "supplier", "customer"]
    search_fields = ["=id", "invoice_number", "business__name"]
    raw_id_fields = ["business", "supplier", "customer", "integration", "integration_chosen_by", "created_by"]
    readonly_fields = ["external_id", "external_url", "published_at", "publish_attempts", "created_at", "updated_at"]
    show_full_result_count = False
    inlines = [ItemHistoryInline]


class PublishAttemptInline(admin.TabularInline):
    model = PublishAttempt
    extra = 0
    can_delete = False
    fields = ["started_at", "duration_ms", "outcome", "request_summary", "response"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PublishJob)
class PublishJobAdmin(admin.ModelAdmin):
    list_display = ["id", "business", "item", "connection", "status", "queue", "attempts", "created_at"]
    list_filter = ["status", "queue"]
    list_select_related = ["business", "item", "connection"]
    search_fields = ["=id", "=item__id", "idempotency_key"]
    raw_id_fields = ["business", "item", "connection", "requested_by"]
    readonly_fields = ["idempotency_key", "attempts", "created_at", "updated_at", "finished_at"]
    show_full_result_count = False
    inlines = [PublishAttemptInline]
