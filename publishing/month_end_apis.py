"""The practice's month-end in the API: ``GET practice/month-end/`` (a page of the clients the user reaches) and
``POST practice/month-end/publish/`` ("Publish all ready items", for some clients or all of them)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from dext_connections.pagination import page_response, page_size_from
from publishing.models import ItemKind
from publishing.month_end import month_end_page, month_end_publish


class BusinessRefOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class FailureGroupOutput(serializers.Serializer):
    detail = serializers.CharField(help_text="The provider's words, as on each item")
    kind = serializers.ChoiceField(choices=ItemKind.choices)
    count = serializers.IntegerField()
    url = serializers.CharField(help_text="The client's list of these failed items (a page of the product)")


class ConnectionUseOutput(serializers.Serializer):
    id = serializers.UUIDField()
    provider = serializers.CharField()
    name = serializers.CharField()
    status = serializers.CharField()
    queued = serializers.IntegerField()
    publishing = serializers.IntegerField()
    eta = serializers.DateTimeField(allow_null=True)
    waiting_for_day = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)
    minute_used = serializers.IntegerField(help_text="Calls made in the last minute")
    minute_limit = serializers.IntegerField()
    day_used = serializers.IntegerField(help_text="Calls made today (where the provider has a daily limit)")
    day_limit = serializers.IntegerField(allow_null=True)


class ClientMonthEndOutput(serializers.Serializer):
    business = BusinessRefOutput()
    queued = serializers.IntegerField()
    publishing = serializers.IntegerField()
    published_today = serializers.IntegerField()
    failed = serializers.IntegerField(help_text="Ready items whose last publish failed")
    ready = serializers.IntegerField(help_text="What Publish all ready items would queue")
    progress = serializers.IntegerField(
        help_text="published_today / (published_today + queued + publishing + failed), %"
    )
    eta = serializers.DateTimeField(allow_null=True, help_text="When the last queued item should be published")
    waiting_reason = serializers.CharField(allow_blank=True)
    can_publish = serializers.BooleanField()
    failures = FailureGroupOutput(many=True)
    connections = ConnectionUseOutput(many=True)


class MonthEndApi(APIView):
    @extend_schema(
        responses=inline_serializer(
            "MonthEndPage",
            {"results": ClientMonthEndOutput(many=True), "next": serializers.URLField(allow_null=True)},
        ),
        parameters=[OpenApiParameter("cursor", str), OpenApiParameter("page_size", int)],
        summary="Month-end: per client the user reaches through a practice, by name (403 not_allowed otherwise)",
        operation_id="practice_month_end",
    )
    def get(self, request):
        rows, cursor = month_end_page(
            user=request.user, cursor=request.GET.get("cursor"), size=page_size_from(request.GET)
        )
        return page_response(request, rows, cursor, ClientMonthEndOutput)


class MonthEndPublishApi(APIView):
    class MonthEndPublishInput(serializers.Serializer):
        businesses = serializers.ListField(
            child=serializers.CharField(max_length=64),
            required=False,
            allow_empty=False,
            max_length=1000,
            help_text="Client ids; omitted: every client the user reaches and may publish in",
        )

    @extend_schema(
        request=MonthEndPublishInput,
        responses={
            202: inline_serializer(
                "MonthEndPublished",
                {
                    "queued": serializers.IntegerField(),
                    "clients": inline_serializer(
                        "MonthEndClientPublished",
                        {
                            "business": BusinessRefOutput(),
                            "queued": serializers.IntegerField(),
                            "refused": serializers.IntegerField(),
                            "in_background": serializers.BooleanField(
                                help_text="Handed to a worker (many items): queued counts what it queues"
                            ),
                        },
                        many=True,
                    ),
                },
            )
        },
        summary="Publish all ready items of some clients, or all (404 not_found: a client not reached; 403)",
        operation_id="practice_month_end_publish",
    )
    def post(self, request):
        serializer = self.MonthEndPublishInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        done = month_end_publish(user=request.user, business_ids=serializer.validated_data.get("businesses"))
        clients = [
            {
                "business": {"id": str(d.business.pk), "name": d.business.name},
                "queued": d.queued,
                "refused": d.refused,
                "in_background": d.in_background,
            }
            for d in done
        ]
        return Response({"queued": sum(d.queued for d in done), "clients": clients}, status=status.HTTP_202_ACCEPTED)
