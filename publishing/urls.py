"""Publishing's pages: the item lists, one item, upload, Business settings > Supplier rules."""

from django.urls import include, path

from publishing import views

page_urls = [
    path("costs/", views.CostsInboxView.as_view(), name="costs_inbox"),
    path("sales/", views.SalesView.as_view(), name="sales_list"),
    path("expense-claims/", views.ExpenseClaimsView.as_view(), name="expense_claims_list"),
    path("upload/", views.UploadView.as_view(), name="item_upload"),
    path("items/bulk/", views.ItemsBulkView.as_view(), name="items_bulk"),
    path("items/<uuid:item_id>/", views.ItemDetailView.as_view(), name="item_detail"),
    path("items/<uuid:item_id>/integration/", views.ItemIntegrationView.as_view(), name="item_integration"),
    path("items/<uuid:item_id>/row/", views.ItemRowView.as_view(), name="item_row"),
    path("items/<uuid:item_id>/status/", views.ItemStatusView.as_view(), name="item_status"),
    path("items/<uuid:item_id>/publish/", views.ItemPublishView.as_view(), name="item_publish"),
    path("items/<uuid:item_id>/archive/", views.ItemArchiveView.as_view(), name="item_archive"),
    path("items/<uuid:item_id>/attachment/", views.ItemAttachmentView.as_view(), name="item_attachment"),
    path("settings/supplier-rules/", views.SupplierRulesView.as_view(), name="supplier_rules"),
    path("settings/supplier-rules/new/", views.SupplierRuleFormView.as_view(), name="supplier_rule_create"),
    path("settings/supplier-rules/<uuid:rule_id>/", views.SupplierRuleFormView.as_view(), name="supplier_rule_edit"),
    path(
        "settings/supplier-rules/<uuid:rule_id>/delete/",
        views.SupplierRuleDeleteView.as_view(),
        name="supplier_rule_delete",
    ),
]

urlpatterns = [
    path("b/<uuid:business_id>/", include(page_urls)),
]
