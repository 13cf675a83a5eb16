"""Receivers for other apps' signals: each one only queues the announcement on commit."""

import importlib
import logging
from functools import partial

from django.db import transaction

from jobs.models import ProcessingJob
from jobs.signals import job_failed
from notifications.models import WebhookEvent
from notifications.services import job_failure_announce, order_paid_announce, video_event_announce

logger = logging.getLogger(__name__)


def on_job_failed(sender, job: ProcessingJob, **kwargs) -> None:
    """Announce a failed job (webhook `job.failed`, email to its creator) after commit."""
    transaction.on_commit(partial(job_failure_announce, job_id=str(job.pk)), robust=True)


def on_video_ready(sender, video, **kwargs) -> None:
    """Send `video.ready` to the owner's endpoints after commit."""
    transaction.on_commit(
        partial(video_event_announce, video_id=str(video.pk), event_type=WebhookEvent.VIDEO_READY),
        robust=True,
    )


def on_video_failed(sender, video, **kwargs) -> None:
    """Send `video.failed` to the owner's endpoints after commit."""
    transaction.on_commit(
        partial(video_event_announce, video_id=str(video.pk), event_type=WebhookEvent.VIDEO_FAILED),
        robust=True,
    )


def on_order_paid(sender, order, **kwargs) -> None:
    """Send `order.paid` to the buyer's endpoints after commit."""
    transaction.on_commit(partial(order_paid_announce, order_id=order.pk), robust=True)


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
