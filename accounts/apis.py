from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.mixins import BusinessAPIView
from accounts.models import ApiToken
from accounts.permissions import Access
from accounts.selectors import api_tokens_for_user, businesses_for_user
from accounts.services import api_token_create, api_token_revoke, user_sign_in_with_password
from dext_connections.pagination import keyset_response


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()


class BusinessAccessSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="business.id")
    name = serializers.CharField(source="business.name")
    role = serializers.CharField()
    via = serializers.ChoiceField(choices=["member", "practice"])


def business_access_data(access: Access) -> dict:
    return BusinessAccessSerializer(access).data


class AuthTokenApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    class AuthTokenInput(serializers.Serializer):
        email = serializers.EmailField()
        password = serializers.CharField(trim_whitespace=False)
        name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    class AuthTokenOutput(serializers.Serializer):
        token = serializers.CharField(help_text="The key: shown this once, only its digest is kept.")
        id = serializers.UUIDField()
        name = serializers.CharField()
        prefix = serializers.CharField()
        expires_at = serializers.DateTimeField(allow_null=True)

    @extend_schema(
        request=AuthTokenInput,
        responses={
            200: AuthTokenOutput,
            400: OpenApiResponse(ErrorSerializer, description="`invalid_credentials` or `invalid`"),
            429: OpenApiResponse(
                ErrorSerializer,
                description="`throttled`: too many failed sign-ins for this email or from this address; "
                "the Retry-After header says how many seconds to wait.",
            ),
        },
        summary="Exchange an email and password for an API token",
    )
    def post(self, request):
        data = self.AuthTokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_sign_in_with_password(
            request=request, email=data.validated_data["email"], password=data.validated_data["password"]
        )
        token, key = api_token_create(user=user, name=data.validated_data["name"])
        shown = {"token": key, **{field: getattr(token, field) for field in ("id", "name", "prefix", "expires_at")}}
        response = Response(self.AuthTokenOutput(shown).data, status=status.HTTP_200_OK)
        response["Cache-Control"] = "no-store"  # the key must not be kept by any cache on the way
        response["Pragma"] = "no-cache"
        return response


class ApiTokenOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The first characters of the key.")
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    expires_at = serializers.DateTimeField(allow_null=True)
    current = serializers.BooleanField(help_text="Whether this request was authenticated with this token.")


class ApiTokensApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("cursor", str), OpenApiParameter("page_size", int)],
        responses=inline_serializer(
            "ApiTokenPage", {"results": ApiTokenOutput(many=True), "next": serializers.URLField(allow_null=True)}
        ),
        summary="The caller's own API tokens that still work, newest first",
    )
    def get(self, request):
        current = request.auth if isinstance(request.auth, ApiToken) else None
        tokens = api_tokens_for_user(user=request.user, current=current)
        return keyset_response(request, tokens, fields=("created_at", "id"), serializer_class=ApiTokenOutput)


class ApiTokenDetailApi(APIView):
    @extend_schema(
        responses={
            204: OpenApiResponse(description="Revoked"),
            404: OpenApiResponse(ErrorSerializer, description="`not_found`: no such token among the caller's"),
        },
        summary="Revoke one of the caller's API tokens",
    )
    def delete(self, request, token_id):
        api_token_revoke(user=request.user, token_id=token_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeApi(APIView):
    class MeOutput(serializers.Serializer):
        email = serializers.EmailField()
        businesses = BusinessAccessSerializer(many=True)

    @extend_schema(responses=MeOutput, summary="The signed-in user and every business they can reach")
    def get(self, request):
        accesses = businesses_for_user(user=request.user)
        return Response(self.MeOutput({"email": request.user.email, "businesses": accesses}).data)


class BusinessDetailApi(BusinessAPIView):
    @extend_schema(responses=BusinessAccessSerializer, summary="One business the user can reach")
    def get(self, request, business_id):
        return Response(business_access_data(self.access))
