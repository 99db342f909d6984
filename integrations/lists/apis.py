"""``GET connections/{id}/lists/{list}/`` and ``POST connections/{id}/lists/refresh/`` (API.md)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from accounts.mixins import BusinessAPIView
from accounts.permissions import Action
from dext_connections.errors import ApplicationError, NotFound
from dext_connections.pagination import keyset_response
from integrations.lists.models import ListKind
from integrations.lists.selectors import list_entries
from integrations.lists.services import list_kinds_of, lists_refresh


class ListEntrySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    external_id = serializers.CharField()
    code = serializers.CharField()
    name = serializers.CharField()
    active = serializers.BooleanField()

    def to_representation(self, entry):
        data = super().to_representation(entry)
        if entry.kind in (ListKind.ACCOUNTS, ListKind.PAYMENT_ACCOUNTS):
            data["type"] = entry.kind_detail
        if entry.kind == ListKind.TAX_RATES:
            data["rate"] = None if entry.rate is None else f"{entry.rate.normalize():f}"  # "20", "17.5": a decimal
        if entry.kind in (ListKind.ACCOUNTS, ListKind.TAX_RATES):
            data["usage"] = entry.usage or None
        if entry.kind in (ListKind.CONTACTS, ListKind.TRACKING):
            data["type"] = entry.kind_detail or None
        return data


def _active_param(raw: str | None) -> bool | None:
    if raw in (None, ""):
        return None
    if raw.lower() in ("true", "1", "yes"):
        return True
    if raw.lower() in ("false", "0", "no"):
        return False
    raise ApplicationError(
        "invalid", "active must be true or false.", extra={"errors": {"active": ["Must be true or false."]}}
    )


class ListEntriesApi(BusinessAPIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("q", str, description="A code or a name (or part of one)"),
            OpenApiParameter("active", bool),
            OpenApiParameter("cursor", str),
            OpenApiParameter("page_size", int),
        ],
        responses=inline_serializer(
            "ListEntryPage",
            {"results": ListEntrySerializer(many=True), "next": serializers.URLField(allow_null=True)},
        ),
        summary="One of the connection's lists: accounts, tax-rates, payment-accounts, contacts, products, tracking",
    )
    def get(self, request, business_id, connection_id, list_name):
        from integrations.services import connection_get_live

        connection = connection_get_live(business=self.business, connection_id=connection_id)
        kind = ListKind.from_slug(list_name)
        if kind is None or kind not in list_kinds_of(connection):
            raise NotFound(f"{connection.name} has no list called {list_name!r}.")
        rows = list_entries(
            connection=connection,
            kind=kind,
            q=request.GET.get("q", ""),
            active=_active_param(request.GET.get("active")),
        ).order_by("name", "id")
        return keyset_response(
            request, rows, fields=("name", "id"), serializer_class=ListEntrySerializer, descending=False
        )


class ListsRefreshApi(BusinessAPIView):
    required_action = Action.MANAGE_CONNECTIONS

    @extend_schema(request=None, responses={202: None}, summary="Sync the connection's lists now")
    def post(self, request, business_id, connection_id):
        from integrations.apis import connection_data
        from integrations.services import connection_get_live

        connection = connection_get_live(business=self.business, connection_id=connection_id)
        if not list_kinds_of(connection):
            raise NotFound(f"{connection.name} keeps no lists of its own.")
        lists_refresh(connection=connection)
        return Response(connection_data(connection), status=status.HTTP_202_ACCEPTED)
