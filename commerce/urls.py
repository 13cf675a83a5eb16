"""API URLs of the commerce app (mounted under /api/v1/)."""

from django.urls import re_path

from commerce.views.accounts import OtpRequestView, OtpVerifyView
from commerce.views.catalog import CartViewSet, ProductViewSet
from commerce.views.orders import OrderViewSet, PaymentViewSet
from commerce.views.streams import LiveStreamViewSet
from commerce.views.webhooks import EcpayWebhookView, StripeWebhookView
from config.routers import OptionalSlashRouter

router = OptionalSlashRouter()
router.register("products", ProductViewSet, basename="product")
router.register("carts", CartViewSet, basename="cart")
router.register("orders", OrderViewSet, basename="order")
router.register("payments", PaymentViewSet, basename="payment")
router.register("streams", LiveStreamViewSet, basename="stream")

urlpatterns = [
    re_path(r"^webhooks/payments/stripe/?$", StripeWebhookView.as_view(), name="webhook-stripe"),
    re_path(r"^webhooks/payments/ecpay/?$", EcpayWebhookView.as_view(), name="webhook-ecpay"),
    re_path(r"^auth/otp/?$", OtpRequestView.as_view(), name="otp-request"),
    re_path(r"^auth/otp/verify/?$", OtpVerifyView.as_view(), name="otp-verify"),
    *router.urls,
]
