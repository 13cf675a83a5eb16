"""Sign in with a username and password for an API token; sign out (revoke it)."""

from django.contrib.auth import authenticate, logout
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.models import AuthToken
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.serializers import LoginSerializer, TokenSerializer
from accounts.services import auth_token_issue, auth_token_revoke


class TokenLoginView(APIView):
    """`POST /api/v1/auth/token/`: a new token for this device, from a username and password."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=LoginSerializer,
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description="Wrong username or password."),
            429: OpenApiResponse(description="Too many failed sign-ins; wait a minute."),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        serializer = LoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The Django request, so django-axes counts failures (per username and client) on it
        # and its middleware turns a lockout into a 429.
        user = authenticate(request._request, **serializer.validated_data)
        if user is None:
            raise ValidationError("Unable to log in with provided credentials.")
        issued = auth_token_issue(user=user)
        return Response(TokenSerializer({"token": issued.token, "expiry": issued.expiry}).data)


class LogoutView(APIView):
    """`POST /api/v1/auth/logout/`: revoke the token this request carries (or end the session)."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, AuthToken):
            auth_token_revoke(token=request.auth)
        else:
            logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)
