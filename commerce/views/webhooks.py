"""Payment provider webhooks: verify, store, answer — processing happens in a job.

Rejections (nothing stored, nothing processed, the attempt is logged with its reason):
- Stripe: 400 with the API error body; `code` is `invalid_signature` (bad or stale
  `Stripe-Signature`), `malformed_event`, `unknown_order` or `not_configured` (no secret
  set: nothing can be verified).
- ECPay: 400 with a plain-text `0|<reason>` body (ECPay's own answer format).
Stored (new or redelivered) events are answered 200: Stripe `{"received": true, ...}`,
ECPay `1|OK`.
"""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from commerce.errors import WebhookRejected
from commerce.services.payment_intake import ecpay_notification_receive, stripe_webhook_receive


class _WebhookView(APIView):
    # Providers authenticate with signatures, not sessions: no CSRF, no auth, no throttle.
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []


class StripeWebhookView(_WebhookView):
    @extend_schema(
        request={"application/json": OpenApiTypes.OBJECT},
        responses={
            200: inline_serializer(
                "StripeWebhookAck",
                {"received": serializers.BooleanField(), "duplicate": serializers.BooleanField()},
            ),
            400: OpenApiResponse(description="Bad signature, malformed event or unknown order."),
        },
        auth=[],
        tags=["webhooks"],
    )
    def post(self, request: Request) -> Response:
        """Receive a Stripe event signed with `Stripe-Signature`."""
        # The raw body is read, never parsed by DRF, so check its encoding here.
        if request.content_type.split(";")[0].strip().lower() != "application/json":
            raise UnsupportedMediaType(request.content_type, "Stripe events are application/json.")
        intake = stripe_webhook_receive(
            body=request.body,  # the raw bytes: the signature covers them exactly
            signature_header=request.headers.get("Stripe-Signature", ""),
            remote=request.META.get("REMOTE_ADDR", ""),
        )
        return Response({"received": True, "duplicate": not intake.created})


class EcpayWebhookView(_WebhookView):
    # ECPay posts application/x-www-form-urlencoded, and nothing else is accepted.
    parser_classes = [FormParser]

    @extend_schema(
        request={"application/x-www-form-urlencoded": OpenApiTypes.OBJECT},
        responses={
            (200, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="1|OK"),
            (400, "text/plain"): OpenApiResponse(OpenApiTypes.STR, description="0|<reason>"),
        },
        auth=[],
        tags=["webhooks"],
    )
    def post(self, request: Request) -> HttpResponse:
        """Receive an ECPay payment result notification (ReturnURL)."""
        params = {key: str(request.data.get(key)) for key in request.data}
        try:
            ecpay_notification_receive(params=params, remote=request.META.get("REMOTE_ADDR", ""))
        except WebhookRejected as exc:
            return HttpResponse(f"0|{exc.message}", status=400, content_type="text/plain")
        return HttpResponse("1|OK", content_type="text/plain")
