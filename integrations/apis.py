from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.audit import audit_entries_for
from accounts.mixins import BusinessAPIView
from accounts.permissions import Action
from dext_connections.pagination import keyset_response
from integrations import services
from integrations.lists.services import lists_state
from integrations.providers import registry
from integrations.selectors import connections_live


class ProviderSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["main", "additional"])
    auth = serializers.ChoiceField(choices=["oauth2", "credentials", "web_connector"])
    item_kinds = serializers.ListField(child=serializers.CharField())


class ConnectionSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    provider = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    organisation_name = serializers.CharField()
    connected_at = serializers.DateTimeField()
    connected_by = serializers.SerializerMethodField()
    lists = serializers.SerializerMethodField()

    def get_connected_by(self, obj) -> str | None:
        return obj.connected_by.email if obj.connected_by_id else None

    @extend_schema_field(
        inline_serializer(
            "ConnectionLists",
            {
                "status": serializers.ChoiceField(choices=["syncing", "ready", "failed"]),
                "synced_at": serializers.DateTimeField(allow_null=True),
                "counts": serializers.DictField(child=serializers.IntegerField()),
                "error": serializers.CharField(allow_null=True),
            },
        )
    )
    def get_lists(self, obj) -> dict:
        """The ledger's lists (API.md): how the last sync went and how many active entries each list has."""
        return lists_state(obj)


class WebConnectorSerializer(serializers.Serializer):
    qwc_url = serializers.URLField()
    username = serializers.CharField()
    password = serializers.CharField()


class ConnectionCreatedSerializer(ConnectionSerializer):
    web_connector = WebConnectorSerializer(required=False)


class ProvidersApi(APIView):
    @extend_schema(responses=ProviderSerializer(many=True), summary="The providers a business can connect")
    def get(self, request):
        return Response([p.describe() for p in registry.all_providers()])


def connection_data(connection) -> dict:
    return ConnectionSerializer(connection).data


class ConnectionsApi(BusinessAPIView):
    write_action = Action.MANAGE_CONNECTIONS

    class ConnectInput(serializers.Serializer):
        provider = serializers.CharField()
        credentials = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False, default=dict)

    @extend_schema(responses=ConnectionSerializer(many=True), summary="Active connections of the business")
    def get(self, request, business_id):
        return Response([connection_data(c) for c in connections_live(business=self.business)])

    @extend_schema(
        request=ConnectInput,
        responses={
            201: ConnectionCreatedSerializer,
            202: inline_serializer("AuthorizeUrl", {"authorize_url": serializers.URLField()}),
        },
        summary="Connect a provider (OAuth: answers the URL to open; credentials: checks them first)",
    )
    def post(self, request, business_id):
        data = self.ConnectInput(data=request.data)
        data.is_valid(raise_exception=True)
        started = services.connection_start(
            business=self.business,
            provider_key=data.validated_data["provider"],
            credentials=data.validated_data["credentials"],
            actor=request.user,
        )
        if started.authorize_url:
            return Response({"authorize_url": started.authorize_url}, status=status.HTTP_202_ACCEPTED)
        body = connection_data(started.connection)
        if started.shown_once:
            body["web_connector"] = {
                "qwc_url": request.build_absolute_uri(
                    f"/b/{self.business.id}/settings/connections/{started.connection.id}/qwc/"
                ),
                **started.shown_once,
            }
            # The Web Connector password is shown this once: no cache, browser or proxy, may keep the answer.
            return Response(body, status=status.HTTP_201_CREATED, headers=NO_STORE)
        return Response(body, status=status.HTTP_201_CREATED)


NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class ConnectionDetailApi(BusinessAPIView):
    write_action = Action.MANAGE_CONNECTIONS

    @extend_schema(responses=ConnectionSerializer)
    def get(self, request, business_id, connection_id):
        return Response(
            connection_data(services.connection_get_live(business=self.business, connection_id=connection_id))
        )

    @extend_schema(responses={204: OpenApiResponse(description="Disconnected")}, summary="Disconnect (R3, R6)")
    def delete(self, request, business_id, connection_id):
        services.connection_disconnect(business=self.business, connection_id=connection_id, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class DisconnectPreviewSerializer(serializers.Serializer):
    defaults_moved = serializers.IntegerField()
    items_reassigned = serializers.IntegerField()
    supplier_rules_cleared = serializers.IntegerField()
    jobs_cancelled = serializers.IntegerField()
    blocked_by = serializers.ListField(child=serializers.DictField())


class DisconnectPreviewApi(BusinessAPIView):
    required_action = Action.MANAGE_CONNECTIONS

    @extend_schema(responses=DisconnectPreviewSerializer, summary="What a disconnect would change")
    def get(self, request, business_id, connection_id):
        return Response(services.connection_disconnect_preview(business=self.business, connection_id=connection_id))


class ReconnectApi(BusinessAPIView):
    required_action = Action.MANAGE_CONNECTIONS

    class ReconnectInput(serializers.Serializer):
        credentials = serializers.DictField(child=serializers.CharField(allow_blank=True), required=False, default=dict)

    @extend_schema(
        request=ReconnectInput,
        responses={
            200: ConnectionSerializer,
            202: inline_serializer("ReconnectUrl", {"authorize_url": serializers.URLField()}),
        },
        summary="Renew an expired authorisation (R5)",
    )
    def post(self, request, business_id, connection_id):
        data = self.ReconnectInput(data=request.data)
        data.is_valid(raise_exception=True)
        started = services.connection_reconnect_start(
            business=self.business,
            connection_id=connection_id,
            credentials=data.validated_data["credentials"],
            actor=request.user,
        )
        if started.authorize_url:
            return Response({"authorize_url": started.authorize_url}, status=status.HTTP_202_ACCEPTED)
        return Response(connection_data(started.connection))


class PublishingDefaultsSerializer(serializers.Serializer):
    default_publishing_connection = serializers.UUIDField(allow_null=True, required=False)
    default_expense_claims_connection = serializers.UUIDField(allow_null=True, required=False)


def defaults_data(defaults) -> dict:
    return {
        "default_publishing_connection": str(defaults.default_publishing_connection_id)
        if defaults.default_publishing_connection_id
        else None,
        "default_expense_claims_connection": str(defaults.default_expense_claims_connection_id)
        if defaults.default_expense_claims_connection_id
        else None,
    }


class PublishingDefaultsApi(BusinessAPIView):
    write_action = Action.MANAGE_CONNECTIONS

    @extend_schema(responses=PublishingDefaultsSerializer)
    def get(self, request, business_id):
        return Response(defaults_data(services.publishing_defaults_get(business=self.business)))

    @extend_schema(
        request=PublishingDefaultsSerializer, responses=PublishingDefaultsSerializer, summary="Set the defaults (R4)"
    )
    def put(self, request, business_id):
        data = PublishingDefaultsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        defaults = services.publishing_defaults_set(business=self.business, actor=request.user, **data.validated_data)
        return Response(defaults_data(defaults))


class AuditEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    actor = serializers.SerializerMethodField()
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    before = serializers.JSONField()
    after = serializers.JSONField()

    def get_actor(self, obj) -> str | None:
        return obj.actor.email if obj.actor_id else None


class AuditLogApi(BusinessAPIView):
    required_action = Action.VIEW_AUDIT_LOG

    @extend_schema(
        responses=inline_serializer(
            "AuditLogPage", {"results": AuditEntrySerializer(many=True), "next": serializers.URLField(allow_null=True)}
        ),
        summary="The audit log (admin users and practice users)",
    )
    def get(self, request, business_id):
        return keyset_response(
            request,
            audit_entries_for(business=self.business),
            fields=("at", "id"),
            serializer_class=AuditEntrySerializer,
        )
