"""Reads of the notifications app: what each user may see, loaded for the API."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, QuerySet

from notifications.models import (
    Notification,
    VideoRender,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)


def _is_staff(user: AbstractBaseUser) -> bool:
    return bool(getattr(user, "is_staff", False))


def notifications_visible_to(user: AbstractBaseUser) -> QuerySet[Notification]:
    """Staff see every notification; others the ones sent to them."""
    queryset = Notification.objects.select_related("related_content_type")
    return queryset if _is_staff(user) else queryset.filter(user_id=user.pk)


def endpoints_visible_to(user: AbstractBaseUser) -> QuerySet[WebhookEndpoint]:
    """Staff see every endpoint; others their own."""
    queryset = WebhookEndpoint.objects.select_related("owner")
    return queryset if _is_staff(user) else queryset.filter(owner_id=user.pk)


def deliveries_visible_to(user: AbstractBaseUser) -> QuerySet[WebhookDelivery]:
    """Deliveries to the endpoints the user sees, with their attempts."""
    queryset = WebhookDelivery.objects.select_related("endpoint").prefetch_related(
        Prefetch("attempts", queryset=WebhookAttempt.objects.order_by("number"))
    )
    return queryset if _is_staff(user) else queryset.filter(endpoint__owner_id=user.pk)


def renders_visible_to(user: AbstractBaseUser) -> QuerySet[VideoRender]:
    """Staff see every render; others the renders of their own videos."""
    queryset = VideoRender.objects.all()
    return queryset if _is_staff(user) else queryset.filter(linked_video__owner_id=user.pk)
