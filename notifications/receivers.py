"""Receivers for other apps' signals: each one writes the announcement's job (an outbox row)
in the sender's transaction; the job is published when that transaction commits."""

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models.signals import post_save

from commerce import signals as commerce_signals
from jobs.models import ProcessingJob
from jobs.signals import job_failed
from notifications.models import WebhookEvent
from notifications.services.events import event_announce_enqueue, is_silent_job_type
from notifications.services.messages import notification_send
from notifications.services.welcome import send_welcome_email
from videos import signals as video_signals


def on_job_failed(sender, job: ProcessingJob, **kwargs) -> None:
    """Announce a failed job (webhook `job.failed`, email to its creator)."""
    if not is_silent_job_type(job.job_type):
        event_announce_enqueue(event_type=WebhookEvent.JOB_FAILED, object_id=str(job.pk))


def on_video_ready(sender, video, **kwargs) -> None:
    """Send `video.ready` to the owner's endpoints."""
    event_announce_enqueue(event_type=WebhookEvent.VIDEO_READY, object_id=str(video.pk))


def on_video_failed(sender, video, **kwargs) -> None:
    """Send `video.failed` to the owner's endpoints."""
    event_announce_enqueue(event_type=WebhookEvent.VIDEO_FAILED, object_id=str(video.pk))


def on_order_paid(sender, order, **kwargs) -> None:
    """Send `order.paid` to the buyer's endpoints."""
    event_announce_enqueue(event_type=WebhookEvent.ORDER_PAID, object_id=str(order.pk))


def on_message_requested(
    sender,
    *,
    channel: str,
    recipient: str,
    template: str,
    context: dict[str, Any],
    related: Any = None,
    user: Any = None,
    urgent: bool = False,
    **kwargs,
) -> None:
    """Queue the email or SMS another app asked for (an outbox row in its transaction)."""
    notification_send(
        channel=channel,
        recipient=recipient,
        template=template,
        context=context,
        related=related,
        user=user,
        urgent=urgent,
    )


def on_user_saved(sender, instance, created: bool = False, raw: bool = False, **kwargs) -> None:
    """Queue the welcome email of a new user who has an email address."""
    if created and not raw and instance.email and settings.WELCOME_EMAIL:
        send_welcome_email(user=instance)


def connect_all() -> None:
    """Connect the receivers (called from AppConfig.ready)."""
    job_failed.connect(on_job_failed, dispatch_uid="notifications.on_job_failed")
    post_save.connect(
        on_user_saved, sender=get_user_model(), dispatch_uid="notifications.welcome_new_user"
    )
    video_signals.video_ready.connect(on_video_ready, dispatch_uid="notifications.on_video_ready")
    video_signals.video_failed.connect(
        on_video_failed, dispatch_uid="notifications.on_video_failed"
    )
    commerce_signals.order_paid.connect(on_order_paid, dispatch_uid="notifications.on_order_paid")
    commerce_signals.message_requested.connect(
        on_message_requested, dispatch_uid="notifications.on_commerce_message"
    )
