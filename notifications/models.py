"""Render status, the email/SMS delivery log and signed outbound webhooks.

- `VideoRender`: the status an external renderer reports for one of its renders.
- `ReceivedWebhook`: webhook ids already accepted, so a replayed request is stored once.
- `Notification`: one email or SMS, queued by `notification_send` and sent by a job.
- `WebhookEndpoint` / `WebhookDelivery` / `WebhookAttempt`: a subscriber, one event on its
  way to it, and each HTTP try.
"""

import uuid

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone


class RenderStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"


class VideoRender(models.Model):
    video_id = models.CharField(max_length=255, unique=True, help_text="The renderer's id.")
    status = models.CharField(
        max_length=16, choices=RenderStatus.choices, default=RenderStatus.PENDING
    )
    oss_link = models.URLField(max_length=2048, blank=True, default="")
    error_message = models.TextField(max_length=2000, blank=True, default="")
    linked_video = models.ForeignKey(
        "videos.Video",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="renders",
        help_text="The Reelhouse video, when the renderer's id is one.",
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="render_status_created_idx")]

    def __str__(self) -> str:
        return f"render {self.video_id} ({self.status})"


class ReceivedWebhook(models.Model):
    source = models.CharField(max_length=32)
    webhook_id = models.CharField(max_length=255)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "webhook_id"], name="received_webhook_once")
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.webhook_id}"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    WEBHOOK = "webhook", "Webhook"


class NotificationStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Notification(models.Model):
    channel = models.CharField(max_length=16, choices=Channel.choices)
    recipient = models.CharField(max_length=254)
    template = models.CharField(max_length=100)
    subject = models.CharField(max_length=255, blank=True, default="")
    context = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    urgent = models.BooleanField(default=False)
    status = models.CharField(
        max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    provider_message_id = models.CharField(max_length=255, blank=True, default="")
    backend = models.CharField(
        max_length=255, blank=True, default="", help_text="The backend that sent it (dotted path)."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    related_content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    related_object_id = models.CharField(max_length=64, blank=True, default="")
    related = GenericForeignKey("related_content_type", "related_object_id")
    job = models.ForeignKey(
        "jobs.ProcessingJob", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["user", "created_at"], name="notif_user_created_idx"),
            models.Index(fields=["status", "created_at"], name="notif_status_created_idx"),
            models.Index(
                fields=["related_content_type", "related_object_id"], name="notif_related_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.template} to {self.recipient} ({self.status})"


class WebhookEvent(models.TextChoices):
    VIDEO_READY = "video.ready", "Video ready"
    VIDEO_FAILED = "video.failed", "Video failed"
    RENDER_COMPLETED = "render.completed", "Render completed"
    RENDER_FAILED = "render.failed", "Render failed"
    ORDER_PAID = "order.paid", "Order paid"
    JOB_FAILED = "job.failed", "Job failed"


class WebhookEndpoint(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(max_length=2048)
    description = models.CharField(max_length=255, blank=True, default="")
    secret = models.CharField(max_length=128, help_text="whsec_...; shown once on creation.")
    event_types = models.JSONField(default=list, help_text="Subscribed event types.")
    all_objects = models.BooleanField(
        default=False,
        help_text="Receive events about everyone's objects, not only the owner's "
        "(superusers only).",
    )
    is_active = models.BooleanField(default=True)
    failure_streak = models.PositiveIntegerField(
        default=0, help_text="Deliveries in a row that failed for good."
    )
    disabled_reason = models.CharField(max_length=255, blank=True, default="")
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "is_active"], name="webhook_owner_active_idx")]

    def __str__(self) -> str:
        return self.url

    def is_subscribed_to(self, event_type: str) -> bool:
        return event_type in (self.event_types or [])


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(max_length=64, choices=WebhookEvent.choices)
    event_id = models.CharField(max_length=64, help_text="The webhook-id header; stable.")
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempt_count = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    current_job = models.ForeignKey(
        "jobs.ProcessingJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The job of the latest attempt.",
    )
    redelivery_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="redeliveries"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "webhook deliveries"
        indexes = [
            models.Index(fields=["endpoint", "created_at"], name="delivery_endpoint_created_idx"),
            models.Index(
                fields=["next_attempt_at"],
                name="delivery_due_idx",
                condition=models.Q(status="pending"),
            ),
            models.Index(
                fields=["delivered_at"],
                name="delivery_delivered_idx",
                condition=models.Q(status="delivered"),
            ),
        ]
        constraints = [
            # An event emitted twice (at-least-once receivers) reaches an endpoint once.
            models.UniqueConstraint(
                fields=["endpoint", "event_id"],
                condition=models.Q(redelivery_of__isnull=True),
                name="delivery_event_once_per_endpoint",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} -> {self.endpoint_id} ({self.status})"


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    at = models.DateTimeField(default=timezone.now)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=1024, blank=True, default="")
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_number")
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.delivery_id}: {self.response_code or self.error}"
