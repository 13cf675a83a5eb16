"""Live shopping streams and their recordings."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from commerce.money import from_minor


class StreamStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    LIVE = "live", "Live"
    ENDED = "ended", "Ended"


def _default_currency() -> str:
    return settings.SHOP_CURRENCY


class LiveStream(models.Model):
    host = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="live_streams"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(max_length=5000, blank=True, default="")
    status = models.CharField(
        max_length=16, choices=StreamStatus.choices, default=StreamStatus.SCHEDULED
    )
    scheduled_for = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    recording = models.ForeignKey(
        "videos.Video",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="live_streams",
    )
    # Filled by the aggregate_stream_analytics job: paid orders placed during the stream.
    orders_count = models.PositiveIntegerField(default=0)
    revenue_minor = models.PositiveBigIntegerField(default=0)
    currency = models.CharField(max_length=3, default=_default_currency)
    analytics_updated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "ended_at"], name="stream_status_ended_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def revenue(self) -> Decimal:
        return from_minor(self.revenue_minor, self.currency)
