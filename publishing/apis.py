"""The JSON API of items, suppliers and supplier rules (API.md), one APIView per operation.

Views parse input with nested Input serializers, call one service or selector, and answer with
an Output serializer. Refusals are ApplicationErrors raised by the services, rendered by the
project's exception handler as ``{"code", "detail"}``.
"""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.mixins import BusinessAPIView
from accounts.permissions import Action, require
from dext_connections.errors import ApplicationError, Conflict, NotFound
from dext_connections.pagination import keyset_response, page_response, page_size_from
from publishing import eta, selectors, services
from publishing import fields as spec
from publishing.attaching import attachment_retry
from publishing.coding import coding_context, item_problems
from publishing.models import AttachmentStatus, AutoPublish, IntegrationSource, ItemKind, ItemState
from publishing.pipeline import items_publish

# ---------------------------------------------------------------- outputs


@extend_schema_field({"type": "string", "description": f"One of {', '.join(ItemKind.values)}."})
class ItemKindField(serializers.ChoiceField):
    """An item's kind. Documented as a string: an enum named "Kind" would collide with the providers' kind."""

    def __init__(self, **kwargs):
        super().__init__(choices=ItemKind.choices, **kwargs)


class ContactRefOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class ItemOutput(serializers.Serializer):
    id = serializers.UUIDField()
    kind = ItemKindField()
    state = serializers.ChoiceField(choices=ItemState.choices)
    supplier = ContactRefOutput(allow_null=True)
    customer = ContactRefOutput(allow_null=True)
    date = serializers.DateField(allow_null=True)
    due_date = serializers.DateField(allow_null=True)
    invoice_number = serializers.CharField()
    currency = serializers.CharField()
    total = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    tax = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    category = serializers.CharField()
    tax_rate = serializers.CharField()
    description = serializers.CharField()
    payment_method = serializers.CharField()
    paid = serializers.BooleanField()
    publish_as = serializers.CharField()
    integration = serializers.UUIDField(source="integration_id", allow_null=True)
    integration_source = serializers.ChoiceField(choices=IntegrationSource.choices, allow_null=True)
    last_publish_error = serializers.CharField(allow_null=True)
    external_id = serializers.CharField()
    external_url = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    category_id = serializers.UUIDField(source="category_entry_id", allow_null=True)
    tax_rate_id = serializers.UUIDField(source="tax_rate_entry_id", allow_null=True)
    payment_account_id = serializers.UUIDField(source="payment_account_entry_id", allow_null=True)
    problems = serializers.SerializerMethodField()
    attachment_status = serializers.ChoiceField(
        choices=[c for c in AttachmentStatus.values if c],
        allow_null=True,
        help_text="A published document's attachment: pending, sending, sent or failed (then attachment_error says why"
        " and POST items/{id}/attachment/retry/ tries again); kept_here when the ledger takes no attachments (the file"
        " stays here only); null when there is none to send.",
    )
    attachment_error = serializers.CharField(allow_null=True)
    eta = serializers.SerializerMethodField(help_text="A queued item's expected publish time; null otherwise")

    def to_representation(self, item):
        data = super().to_representation(item)
        data["attachment_status"] = item.attachment_status or None
        data["attachment_error"] = item.attachment_error or None
        return data

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_eta(self, item) -> str | None:
        etas = self.context.get("etas")
        if etas is None:  # once for the whole page (the list serializer's rows), never once per item
            rows = self.root.instance if isinstance(self.root.instance, list | tuple) else [item]
            queued = [row.pk for row in rows if row.state == ItemState.QUEUED]
            etas = self.context["etas"] = eta.item_etas(item.business_id, queued) if queued else {}
        when = etas.get(str(item.pk)) if item.state == ItemState.QUEUED else None
        return serializers.DateTimeField().to_representation(when) if when else None

    @extend_schema_field(
        inline_serializer(
            "ItemProblem", {"field": serializers.CharField(), "detail": serializers.CharField()}, many=True
        )
    )
    def get_problems(self, item) -> list[dict]:
        """Why it is to_review (API.md); empty when it is ready or on its way."""
        if item.state != ItemState.TO_REVIEW:
            return []
        context = self.context.get("coding")
        if context is None:
            context = self.context["coding"] = coding_context(item.business_id)
        return item_problems(item, context)


class SupplierOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class SupplierRuleOutput(serializers.Serializer):
    id = serializers.UUIDField()
    supplier = serializers.UUIDField(source="supplier_id")
    supplier_name = serializers.CharField(source="supplier.name")
    integration = serializers.UUIDField(source="integration_id", allow_null=True)
    category = serializers.CharField()
    tax_rate = serializers.CharField()
    payment_method = serializers.CharField()
    paid = serializers.BooleanField(allow_null=True)
    due_in_days = serializers.IntegerField(allow_null=True)
    description = serializers.CharField()
    currency = serializers.CharField()
    auto_publish = serializers.ChoiceField(choices=AutoPublish.choices, allow_null=True)
    publish_as = serializers.CharField()
    category_id = serializers.UUIDField(source="category_entry_id", allow_null=True)
    tax_rate_id = serializers.UUIDField(source="tax_rate_entry_id", allow_null=True)
    payment_account_id = serializers.UUIDField(source="payment_account_entry_id", allow_null=True)


class BulkErrorOutput(serializers.Serializer):
    id = serializers.CharField()
    code = serializers.CharField()
    detail = serializers.CharField()


class ItemsBulkOutput(serializers.Serializer):
    updated = serializers.IntegerField()
    errors = BulkErrorOutput(many=True)


def _page_schema(name: str, serializer):
    return inline_serializer(name, {"results": serializer(many=True), "next": serializers.URLField(allow_null=True)})


def _item_body(business, item_id) -> dict:
    return ItemOutput(services.item_get(business=business, item_id=item_id)).data


def _validated(serializer_class, data, **kwargs) -> dict:
    serializer = serializer_class(data=data, **kwargs)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _currency(value: str) -> str:
    value = value.strip().upper()
    if len(value) != 3 or not value.isalpha():
        raise serializers.ValidationError("Use a three-letter currency code, such as GBP.")
    return value


# ---------------------------------------------------------------- suppliers


class SuppliersApi(BusinessAPIView):
    class SupplierCreateInput(serializers.Serializer):
        name = serializers.CharField(max_length=255, allow_blank=True)

    @extend_schema(
        responses=_page_schema("SupplierPage", SupplierOutput),
        parameters=[OpenApiParameter("cursor", str), OpenApiParameter("page_size", int)],
        summary="The business's suppliers, by name",
        operation_id="suppliers_list",
    )
    def get(self, request, business_id):
        return keyset_response(
            request,
            selectors.suppliers_list(business=self.business),
            fields=("name", "id"),
            serializer_class=SupplierOutput,
            descending=False,
        )

    @extend_schema(
        request=SupplierCreateInput,
        responses={201: SupplierOutput},
        summary="Add a supplier (409 supplier_exists: names are unique per business, ignoring case)",
    )
    def post(self, request, business_id):
        data = _validated(self.SupplierCreateInput, request.data)
        supplier = services.supplier_create(business=self.business, name=data["name"])
        return Response(SupplierOutput(supplier).data, status=status.HTTP_201_CREATED)


# ---------------------------------------------------------------- supplier rules


def spec_input_field(f: spec.Field) -> serializers.Field:
    """The API's input field for one field of the specification (publishing/fields.py)."""
    if f.kind is spec.Kind.DATE:
        return serializers.DateField(allow_null=True, required=False)
    if f.kind is spec.Kind.MONEY:
        return serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True, required=False)
    if f.kind is spec.Kind.BOOL:
        return serializers.BooleanField(required=False)
    if f.kind is spec.Kind.CURRENCY:
        return serializers.CharField(max_length=f.max_length, required=False)
    if f.kind is spec.Kind.INT:
        return serializers.IntegerField(min_value=0, max_value=3650, allow_null=True, required=False)
    return serializers.CharField(max_length=f.max_length, allow_blank=True, required=False)


def spec_rule_input_field(f: spec.Field) -> serializers.Field:
    """A rule's input field: like an item's, but every value may be unset (null, or empty words)."""
    if f.kind is spec.Kind.BOOL:
        return serializers.BooleanField(allow_null=True, required=False)
    if f.kind is spec.Kind.CURRENCY:
        return serializers.CharField(max_length=f.max_length, allow_blank=True, required=False)
    if f.name == "auto_publish":
        return serializers.ChoiceField(choices=AutoPublish.choices, allow_null=True, required=False)
    return spec_input_field(f)


def _validate_rule_currency(self, value):
    return _currency(value) if value else ""


# Every rule field of the specification (the coded ones also as list entries), the integration, apply_to_inbox.
_RuleFieldsInput = type(
    "_RuleFieldsInput",
    (serializers.Serializer,),
    {
        "__module__": __name__,
        "integration": serializers.UUIDField(allow_null=True, required=False),
        **{f.name: spec_rule_input_field(f) for f in spec.FIELDS if f.on_rule},
        **{api: serializers.CharField(max_length=64, allow_null=True, required=False) for api in spec.API_ID.values()},
        "apply_to_inbox": serializers.BooleanField(required=False, default=False),
        "validate_currency": _validate_rule_currency,
    },
)


class SupplierRulesApi(BusinessAPIView):
    write_action = Action.EDIT_SUPPLIER_RULES

    class SupplierRuleCreateInput(_RuleFieldsInput):
        supplier = serializers.UUIDField()

    @extend_schema(
        responses=_page_schema("SupplierRulePage", SupplierRuleOutput),
        parameters=[OpenApiParameter("cursor", str), OpenApiParameter("page_size", int)],
        summary="The business's supplier rules",
        operation_id="supplier_rules_list",
    )
    def get(self, request, business_id):
        return keyset_response(
            request,
            selectors.supplier_rules_list(business=self.business),
            fields=("created_at", "id"),
            serializer_class=SupplierRuleOutput,
            descending=False,
        )

    @extend_schema(
        request=SupplierRuleCreateInput,
        responses={201: SupplierRuleOutput},
        summary="Add a supplier's rule (409 rule_exists; apply_to_inbox applies it to unpublished items now)",
    )
    def post(self, request, business_id):
        data = dict(_validated(self.SupplierRuleCreateInput, request.data))
        rule = services.supplier_rule_create(
            business=self.business,
            actor=request.user,
            supplier_id=data.pop("supplier"),
            integration_id=data.pop("integration", None),
            apply_to_inbox=data.pop("apply_to_inbox", False),
            **data,
        )
        rule = services.supplier_rule_get(business=self.business, rule_id=rule.pk)
        return Response(SupplierRuleOutput(rule).data, status=status.HTTP_201_CREATED)


class SupplierRuleDetailApi(BusinessAPIView):
    write_action = Action.EDIT_SUPPLIER_RULES

    class SupplierRuleUpdateInput(_RuleFieldsInput):
        supplier = serializers.UUIDField(required=False)

    @extend_schema(responses=SupplierRuleOutput, summary="One supplier rule")
    def get(self, request, business_id, rule_id):
        return Response(SupplierRuleOutput(services.supplier_rule_get(business=self.business, rule_id=rule_id)).data)

    @extend_schema(request=SupplierRuleUpdateInput, responses=SupplierRuleOutput, summary="Change a supplier rule")
    def patch(self, request, business_id, rule_id):
        services.supplier_rule_get(business=self.business, rule_id=rule_id)  # 404 before 400
        data = dict(_validated(self.SupplierRuleUpdateInput, request.data, partial=True))
        apply = data.pop("apply_to_inbox", False)
        services.supplier_rule_update(
            business=self.business, actor=request.user, rule_id=rule_id, changes=data, apply_to_inbox=apply
        )
        return Response(SupplierRuleOutput(services.supplier_rule_get(business=self.business, rule_id=rule_id)).data)

    @extend_schema(responses={204: OpenApiResponse(description="Deleted")}, summary="Delete a supplier rule")
    def delete(self, request, business_id, rule_id):
        services.supplier_rule_delete(business=self.business, actor=request.user, rule_id=rule_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ---------------------------------------------------------------- items


def _validate_currency(self, value):
    return _currency(value)


# Every item field of the specification, and the coded ones also as list entries (``category_id`` …).
_ItemFieldsInput = type(
    "_ItemFieldsInput",
    (serializers.Serializer,),
    {
        "__module__": __name__,
        "supplier": serializers.CharField(max_length=255, allow_blank=True, required=False),
        "customer": serializers.CharField(max_length=255, allow_blank=True, required=False),
        **{f.name: spec_input_field(f) for f in spec.FIELDS if f.on_item},
        **{api: serializers.CharField(max_length=64, allow_null=True, required=False) for api in spec.API_ID.values()},
        "validate_currency": _validate_currency,
    },
)


def _contact_field_check(kind: str, data: dict) -> None:
    wrong = "supplier" if kind == ItemKind.SALES else "customer"
    if wrong in data:
        right = "customer" if kind == ItemKind.SALES else "supplier"
        raise ApplicationError(
            "invalid",
            f"A {ItemKind(kind).label.lower()} item has a {right}, not a {wrong}.",
            extra={"errors": {wrong: [f"Use {right} for this kind of item."]}},
        )


class ItemsApi(BusinessAPIView):
    write_action = Action.EDIT_ITEMS

    class ItemCreateInput(_ItemFieldsInput):
        kind = ItemKindField()

    @extend_schema(
        responses=_page_schema("ItemPage", ItemOutput),
        parameters=[
            OpenApiParameter("kind", str, enum=ItemKind.values),
            OpenApiParameter("state", str, enum=ItemState.values),
            OpenApiParameter("integration", str, description="A connection id"),
            OpenApiParameter("supplier", str, description="A supplier id"),
            OpenApiParameter("q", str, description="Searches invoice number, supplier, customer and description"),
            OpenApiParameter(
                "failed", bool, description="Only items whose last publish failed (error: with these words)"
            ),
            OpenApiParameter("page_size", int),
            OpenApiParameter("cursor", str),
        ],
        summary="A page of items, newest first (keyset pagination)",
        operation_id="items_list",
    )
    def get(self, request, business_id):
        params = request.GET
        errors = {}
        kind, state = params.get("kind") or "", params.get("state") or ""
        if kind and kind not in ItemKind.values:
            errors["kind"] = [f"Choose one of {', '.join(ItemKind.values)}."]
        if state and state not in ItemState.values:
            errors["state"] = [f"Choose one of {', '.join(ItemState.values)}."]
        if errors:
            raise ApplicationError("invalid", "Some filters are not valid.", extra={"errors": errors})
        filters = selectors.ItemFilters.from_params(
            params, kinds=(kind,) if kind else (), states=(state,) if state else (), strict=True
        )
        rows, cursor = selectors.items_page(
            business=self.business, filters=filters, cursor=params.get("cursor"), size=page_size_from(params)
        )
        return page_response(request, rows, cursor, ItemOutput)

    @extend_schema(
        request=ItemCreateInput,
        responses={201: ItemOutput},
        summary="Add an item (ready when supplier or customer, date, total and category are present)",
    )
    def post(self, request, business_id):
        data = dict(_validated(self.ItemCreateInput, request.data))
        kind = data.pop("kind")
        _contact_field_check(kind, data)
        contact = data.pop("customer" if kind == ItemKind.SALES else "supplier", "")
        item = services.item_create(business=self.business, actor=request.user, kind=kind, contact_name=contact, **data)
        return Response(_item_body(self.business, item.pk), status=status.HTTP_201_CREATED)


class ItemDetailApi(BusinessAPIView):
    write_action = Action.EDIT_ITEMS

    class ItemUpdateInput(_ItemFieldsInput):
        integration = serializers.UUIDField(allow_null=True, required=False)

    @extend_schema(responses=ItemOutput, summary="One item")
    def get(self, request, business_id, item_id):
        return Response(_item_body(self.business, item_id))

    @extend_schema(
        request=ItemUpdateInput,
        responses=ItemOutput,
        summary="Edit an item; integration: a connection id (a hand-made choice) or null (resolve again)",
    )
    def patch(self, request, business_id, item_id):
        item = services.item_get(business=self.business, item_id=item_id)  # 404 before 400
        data = dict(_validated(self.ItemUpdateInput, request.data, partial=True))
        _contact_field_check(item.kind, data)
        set_integration = "integration" in data
        integration = data.pop("integration", None)
        if set_integration:
            require(self.access, Action.EDIT_ITEM_INTEGRATION)
        with transaction.atomic():  # a refused integration leaves the other fields unchanged too
            if set_integration:  # first: entries given by id are of the (new) integration's lists
                services.item_set_integration(
                    business=self.business, actor=request.user, item_id=item.pk, connection_id=integration
                )
            if data:
                services.item_update(business=self.business, actor=request.user, item_id=item.pk, changes=data)
        return Response(_item_body(self.business, item.pk))


class ItemPublishApi(BusinessAPIView):
    required_action = Action.PUBLISH

    @extend_schema(
        request=None,
        responses={202: ItemOutput},
        summary="Queue one item for publishing (409 not_ready with the missing fields, 409 no_connection)",
    )
    def post(self, request, business_id, item_id):
        item = services.item_get(business=self.business, item_id=item_id)
        result = items_publish(business=self.business, item_ids=[item.pk], actor=request.user)
        if result.errors:
            error = result.errors[0]
            if error["code"] == "not_found":
                raise NotFound("No such item.")
            extra = {"missing": error.get("missing", [])} if error["code"] == "not_ready" else {}
            raise Conflict(error["code"], error["detail"], extra=extra)
        return Response(_item_body(self.business, item.pk), status=status.HTTP_202_ACCEPTED)


class ItemsBulkApi(BusinessAPIView):
    ACTIONS = {"publish": Action.PUBLISH, "set_integration": Action.EDIT_ITEM_INTEGRATION, "archive": Action.EDIT_ITEMS}

    class ItemsBulkInput(serializers.Serializer):
        ids = serializers.ListField(
            child=serializers.CharField(max_length=64), allow_empty=False, max_length=services.MAX_BULK_IDS
        )
        action = serializers.ChoiceField(choices=list(services.BULK_ACTIONS))
        integration = serializers.CharField(max_length=64, allow_null=True, required=False)

    @extend_schema(
        request=ItemsBulkInput,
        responses=ItemsBulkOutput,
        summary="Publish, change the integration of, or archive many items; refusals are per item",
    )
    def post(self, request, business_id):
        data = _validated(self.ItemsBulkInput, request.data)
        require(self.access, self.ACTIONS[data["action"]])
        result = services.items_bulk(
            business=self.business,
            actor=request.user,
            item_ids=data["ids"],
            action=data["action"],
            connection_id=data.get("integration"),
        )
        return Response({"updated": result.updated, "errors": result.errors})


class ItemAttachmentRetryApi(BusinessAPIView):
    required_action = Action.PUBLISH

    @extend_schema(
        request=None,
        responses={202: ItemOutput},
        summary="Upload a published item's attachment again after it failed (409 nothing_to_retry)",
    )
    def post(self, request, business_id, item_id):
        item = attachment_retry(business=self.business, actor=request.user, item_id=item_id)
        return Response(_item_body(self.business, item.pk), status=status.HTTP_202_ACCEPTED)
