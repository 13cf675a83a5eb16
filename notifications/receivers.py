"""Receivers for other apps' signals: each one writes the announcement's job (an outbox row)
in the sender's transaction; the job is published when that transaction commits."""

import importlib
import logging

from jobs.models import ProcessingJob
from jobs.signals import job_failed
from notifications.models import WebhookEvent
from notifications.services.events import event_announce_enqueue, is_silent_job_type

logger = logging.getLogger(__name__)


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


def _signals_module(name: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        logger.warning("%s is missing; its webhook events are not sent", name)
        return None


def connect_all() -> None:
    """Connect the receivers (called from AppConfig.ready)."""
    job_failed.connect(on_job_failed, dispatch_uid="notifications.on_job_failed")
    if videos := _signals_module("videos.signals"):
        videos.video_ready.connect(on_video_ready, dispatch_uid="notifications.on_video_ready")
        videos.video_failed.connect(on_video_failed, dispatch_uid="notifications.on_video_failed")
    if commerce := _signals_module("commerce.signals"):
        commerce.order_paid.connect(on_order_paid, dispatch_uid="notifications.on_order_paid")
