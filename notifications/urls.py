"""API URLs of the notifications app (mounted under /api/v1/)."""

from django.urls import re_path

from config.routers import OptionalSlashRouter
from notifications.views import (
    NotificationViewSet,
    RenderNotifyView,
    VideoRenderViewSet,
    WebhookDeliveryViewSet,
    WebhookEndpointViewSet,
)

router = OptionalSlashRouter()
router.register("notifications", NotificationViewSet, basename="notification")
router.register("webhook-endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")
router.register("renders", VideoRenderViewSet, basename="render")

urlpatterns = [
    # Before the router, so `notify` is not read as a render id.
    re_path(r"^renders/notify/?$", RenderNotifyView.as_view(), name="render-notify"),
    *router.urls,
]
