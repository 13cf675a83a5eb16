"""API of the notifications app: the delivery log, webhook endpoints, render status."""

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed, NotAuthenticated, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications import selectors, services
from notifications.models import Notification, VideoRender, WebhookDelivery, WebhookEndpoint
from notifications.serializers import (
    NotificationSerializer,
    RenderNotifyResultSerializer,
    RenderReportSerializer,
    VideoRenderSerializer,
    WebhookDeliverySerializer,
    WebhookEndpointSerializer,
    WebhookEndpointWithSecretSerializer,
    WebhookEndpointWriteSerializer,
)
from notifications.signatures import (
    ID_HEADER,
    MAX_WEBHOOK_ID_LENGTH,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookSignatureError,
    verify,
)

RENDER_BATCH_MAX = 500


class NotificationViewSet(viewsets.ReadOnlyModelViewSet):
    """Emails and SMS sent to you (staff: all of them)."""

    serializer_class = NotificationSerializer
    filterset_fields = ["channel", "status", "template"]
    ordering_fields = ["created_at", "sent_at"]

    def get_queryset(self) -> QuerySet[Notification]:
        return selectors.notifications_visible_to(self.request.user)


class WebhookEndpointViewSet(viewsets.ModelViewSet):
    """Your outbound webhook endpoints; the signing secret is shown only on creation."""

    serializer_class = WebhookEndpointSerializer
    filterset_fields = ["is_active"]

    def get_queryset(self) -> QuerySet[WebhookEndpoint]:
        return selectors.endpoints_visible_to(self.request.user)

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action in ("create", "update", "partial_update"):
            return WebhookEndpointWriteSerializer
        return WebhookEndpointSerializer

    @extend_schema(responses={201: WebhookEndpointWithSecretSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = WebhookEndpointWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        endpoint = services.webhook_endpoint_create(
            owner=request.user,
            url=data["url"],
            event_types=data["event_types"],
            description=data.get("description", ""),
            all_objects=data.get("all_objects", False),
        )
        return Response(
            WebhookEndpointWithSecretSerializer(endpoint).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(responses={200: WebhookEndpointSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        endpoint = self.get_object()
        serializer = WebhookEndpointWriteSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_update(endpoint=endpoint, **serializer.validated_data)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(responses={200: WebhookEndpointSerializer})
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    def perform_destroy(self, instance: WebhookEndpoint) -> None:
        services.webhook_endpoint_delete(endpoint=instance)

    @extend_schema(request=None, responses={200: WebhookEndpointWithSecretSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        """Replace the signing secret; the new one is shown in this response only."""
        endpoint = services.webhook_endpoint_rotate_secret(endpoint=self.get_object())
        return Response(WebhookEndpointWithSecretSerializer(endpoint).data)

    @extend_schema(
        responses={200: WebhookDeliverySerializer(many=True)},
        parameters=[
            OpenApiParameter("status", OpenApiTypes.STR, enum=["pending", "delivered", "failed"])
        ],
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        """The endpoint's deliveries, newest first, with every attempt."""
        endpoint = self.get_object()
        queryset = selectors.deliveries_visible_to(request.user).filter(endpoint=endpoint)
        if wanted := request.query_params.get("status"):
            queryset = queryset.filter(status=wanted)
        page = self.paginate_queryset(queryset)
        serializer = WebhookDeliverySerializer(page, many=True)
        return self.get_paginated_response(serializer.data)


class WebhookDeliveryViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Deliveries to your endpoints, and redelivery of a finished one."""

    serializer_class = WebhookDeliverySerializer
    filterset_fields = ["status", "event_type", "endpoint"]

    def get_queryset(self) -> QuerySet[WebhookDelivery]:
        return selectors.deliveries_visible_to(self.request.user)

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer})
    @action(detail=True, methods=["post"])
    def redeliver(self, request: Request, pk: str | None = None) -> Response:
        """Send the event again as a new delivery (same event id, so receivers can dedupe)."""
        copy = services.webhook_delivery_redeliver(delivery=self.get_object())
        return Response(WebhookDeliverySerializer(copy).data, status=status.HTTP_202_ACCEPTED)


class VideoRenderViewSet(viewsets.ReadOnlyModelViewSet):
    """Render status reported by the external renderer (staff: all; others: their videos)."""

    serializer_class = VideoRenderSerializer
    lookup_field = "video_id"
    lookup_value_regex = "[^/]+"
    filterset_fields = ["status"]
    search_fields = ["video_id"]

    def get_queryset(self) -> QuerySet[VideoRender]:
        return selectors.renders_visible_to(self.request.user)


class RenderNotifyView(APIView):
    """The renderer reports render status: one report or a list of them."""

    permission_classes: list = []  # signature or staff token, checked in `post`

    @extend_schema(
        request=RenderReportSerializer,
        responses={202: RenderNotifyResultSerializer},
        description=(
            "Body: one report or a JSON list of reports. Authenticate with a Standard "
            "Webhooks signature (webhook-id, webhook-timestamp, webhook-signature) made with "
            "RENDER_WEBHOOK_SECRET, or a staff token. A repeated webhook-id is accepted once."
        ),
    )
    def post(self, request: Request) -> Response:
        webhook_id = self._authenticate_sender(request)
        data = request.data
        many = isinstance(data, list)
        if many and not data:
            raise serializers.ValidationError({"non_field_errors": ["The batch is empty."]})
        if many and len(data) > RENDER_BATCH_MAX:
            raise serializers.ValidationError(
                {"non_field_errors": [f"Send at most {RENDER_BATCH_MAX} reports per request."]}
            )
        serializer = RenderReportSerializer(data=data, many=many)
        serializer.is_valid(raise_exception=True)
        reports = serializer.validated_data if many else [serializer.validated_data]
        accepted = services.render_reports_accept(reports=reports, webhook_id=webhook_id)
        result = {"accepted": accepted or 0, "duplicate": accepted is None}
        return Response(result, status=status.HTTP_202_ACCEPTED)

    def _authenticate_sender(self, request: Request) -> str | None:
        """Check the signature (or staff token); return the webhook id to deduplicate on."""
        raw_body = request.body  # read before parsing: the signature covers these bytes
        webhook_id = request.headers.get(ID_HEADER)
        if webhook_id is not None and len(webhook_id) > MAX_WEBHOOK_ID_LENGTH:
            raise serializers.ValidationError(
                {ID_HEADER: [f"At most {MAX_WEBHOOK_ID_LENGTH} characters."]}
            )
        signed = any(h in request.headers for h in (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER))
        if signed:
            secret = settings.RENDER_WEBHOOK_SECRET
            if not secret:
                raise AuthenticationFailed(
                    "Signed render notifications are not accepted: RENDER_WEBHOOK_SECRET is "
                    "not set on this server."
                )
            try:
                verify(headers=dict(request.headers), body=raw_body, secret=secret)
            except WebhookSignatureError as exc:
                raise AuthenticationFailed(f"Render notification rejected: {exc}.")
            return request.headers[ID_HEADER]
        if request.user.is_authenticated and request.user.is_staff:
            return request.headers.get(ID_HEADER) or None
        if request.user.is_authenticated:
            raise PermissionDenied(
                "Only the renderer (a signed request) or staff may report render status."
            )
        raise NotAuthenticated(
            "Sign the request with the render webhook secret (webhook-id, webhook-timestamp and "
            "webhook-signature headers) or send a staff token."
        )
