"""Sign in by phone: request a one-time code, then trade it for an API token."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.lockout import lockout_response, login_allowed, login_failed
from commerce.errors import OtpInvalid
from commerce.serializers.accounts import (
    OtpLoginSerializer,
    OtpRequestSerializer,
    OtpSentSerializer,
    OtpVerifySerializer,
)
from commerce.services.otp import otp_send, otp_verify
from config.client_ip import client_ip


class _PublicView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    # Codes are limited per phone and per IP by the service itself.
    throttle_classes: list = []


class OtpRequestView(_PublicView):
    @extend_schema(
        request=OtpRequestSerializer,
        responses={
            202: OtpSentSerializer,
            429: OpenApiResponse(description="Too many codes for this phone or address."),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        """Text a 6-digit code to `phone`."""
        serializer = OtpRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        challenge = otp_send(
            phone=serializer.validated_data["phone"], ip=client_ip(request) or None
        )
        body = {"phone": challenge.phone, "expires_at": challenge.expires_at}
        return Response(OtpSentSerializer(body).data, status=202)


class OtpVerifyView(_PublicView):
    @extend_schema(
        request=OtpVerifySerializer,
        responses={
            200: OtpLoginSerializer,
            400: OpenApiResponse(description="Wrong, expired or used-up code."),
            429: OpenApiResponse(description="Too many wrong codes for this phone or address."),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        """Check the code; answer an API token for the phone's account (created if new)."""
        serializer = OtpVerifySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # Wrong codes count as failed sign-ins (per phone and per client), like passwords.
        username = f"otp:{serializer.validated_data['phone']}"
        if not login_allowed(request._request, username=username):
            return lockout_response(request._request)
        try:
            login = otp_verify(**serializer.validated_data)
        except OtpInvalid:
            login_failed(request._request, username=username, sender=type(self))
            raise
        body = {
            "token": login.token,
            "expiry": login.expiry,
            "user_id": login.user.pk,
            "created": login.created,
        }
        return Response(OtpLoginSerializer(body).data)
