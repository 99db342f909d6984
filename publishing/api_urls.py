"""Publishing's part of API v1 (mounted at /api/v1/): a business's suppliers, supplier rules and items."""

from django.urls import include, path

from publishing import apis, month_end_apis

business_urls = [
    path("suppliers/", apis.SuppliersApi.as_view(), name="api_suppliers"),
    path("supplier-rules/", apis.SupplierRulesApi.as_view(), name="api_supplier_rules"),
    path("supplier-rules/<str:rule_id>/", apis.SupplierRuleDetailApi.as_view(), name="api_supplier_rule_detail"),
    path("items/", apis.ItemsApi.as_view(), name="api_items"),
    path("items/bulk/", apis.ItemsBulkApi.as_view(), name="api_items_bulk"),
    path("items/<str:item_id>/", apis.ItemDetailApi.as_view(), name="api_item_detail"),
    path("items/<str:item_id>/publish/", apis.ItemPublishApi.as_view(), name="api_item_publish"),
    path(
        "items/<str:item_id>/attachment/retry/",
        apis.ItemAttachmentRetryApi.as_view(),
        name="api_item_attachment_retry",
    ),
]

urlpatterns = [
    path("businesses/<uuid:business_id>/", include(business_urls)),
    path("practice/month-end/", month_end_apis.MonthEndApi.as_view(), name="api_month_end"),
    path("practice/month-end/publish/", month_end_apis.MonthEndPublishApi.as_view(), name="api_month_end_publish"),
]
