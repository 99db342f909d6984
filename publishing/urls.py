"""Publishing's pages: the item lists, one item, upload, Business settings > Supplier rules."""

from django.urls import include, path

from publishing.views import coding, items, month_end, supplier_rules

page_urls = [
    path("costs/", items.CostsInboxView.as_view(), name="costs_inbox"),
    path("sales/", items.SalesView.as_view(), name="sales_list"),
    path("expense-claims/", items.ExpenseClaimsView.as_view(), name="expense_claims_list"),
    path("upload/", items.UploadView.as_view(), name="item_upload"),
    path("items/bulk/", items.ItemsBulkView.as_view(), name="items_bulk"),
    path("items/<uuid:item_id>/", items.ItemDetailView.as_view(), name="item_detail"),
    path("items/<uuid:item_id>/integration/", items.ItemIntegrationView.as_view(), name="item_integration"),
    path("items/<uuid:item_id>/row/", items.ItemRowView.as_view(), name="item_row"),
    path("items/<uuid:item_id>/category/", coding.ItemCategoryCellView.as_view(), name="item_category"),
    path(
        "lists/<uuid:connection_id>/<str:field>/options/",
        coding.CodingOptionsView.as_view(),
        name="coding_options",
    ),
    path("items/<uuid:item_id>/status/", items.ItemStatusView.as_view(), name="item_status"),
    path("items/<uuid:item_id>/publish/", items.ItemPublishView.as_view(), name="item_publish"),
    path("items/<uuid:item_id>/archive/", items.ItemArchiveView.as_view(), name="item_archive"),
    path("items/<uuid:item_id>/attachment/", items.ItemAttachmentView.as_view(), name="item_attachment"),
    path(
        "items/<uuid:item_id>/attachment/retry/",
        items.ItemAttachmentRetryView.as_view(),
        name="item_attachment_retry",
    ),
    path("settings/supplier-rules/", supplier_rules.SupplierRulesView.as_view(), name="supplier_rules"),
    path("settings/supplier-rules/new/", supplier_rules.SupplierRuleFormView.as_view(), name="supplier_rule_create"),
    path(
        "settings/supplier-rules/<uuid:rule_id>/",
        supplier_rules.SupplierRuleFormView.as_view(),
        name="supplier_rule_edit",
    ),
    path(
        "settings/supplier-rules/<uuid:rule_id>/delete/",
        supplier_rules.SupplierRuleDeleteView.as_view(),
        name="supplier_rule_delete",
    ),
]

urlpatterns = [
    path("b/<uuid:business_id>/", include(page_urls)),
    path("practice/month-end/", month_end.MonthEndView.as_view(), name="month_end"),
    path("practice/month-end/publish/", month_end.MonthEndPublishView.as_view(), name="month_end_publish"),
]
