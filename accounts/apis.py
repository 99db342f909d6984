from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.mixins import BusinessAPIView
from accounts.permissions import Access
from accounts.selectors import businesses_for_user
from accounts.services import api_token_create, user_sign_in_with_password


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

    @extend_schema(
        request=AuthTokenInput,
        responses={
            200: inline_serializer("AuthToken", {"token": serializers.CharField()}),
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
        _, key = api_token_create(user=user)
        return Response({"token": key}, status=status.HTTP_200_OK)


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
