"""Turn other apps' events (a job failed, a video is ready, an order is paid) into
webhook events and emails. Receivers call these on commit, with ids only."""

import logging
from typing import Any

from django.apps import apps
from django.db import transaction

from jobs.models import ProcessingJob
from notifications.models import WebhookEvent
from notifications.services.messages import notification_send
from notifications.services.webhooks import webhook_event_emit

logger = logging.getLogger(__name__)

# Failures of our own sending jobs are not announced: a failing announcement would
# announce itself again.
SILENT_JOB_TYPE_PREFIXES = ("notification_", "webhook_")


@transaction.atomic
def job_failure_announce(*, job_id: str) -> None:
    """Emit `job.failed` and email the person who started the job."""
    job = ProcessingJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.job_type.startswith(SILENT_JOB_TYPE_PREFIXES):
        return
    data = {
        "job_id": str(job.pk),
        "job_type": job.job_type,
        "status": job.status,
        "error": job.error,
        "attempts": job.attempts,
        "target": _target(job),
        "created_at": job.created_at,
        "failed_at": job.completed_at,
    }
    owner = job.created_by
    webhook_event_emit(event_type=WebhookEvent.JOB_FAILED, data=data, owner=owner)
    if owner is not None and owner.email:
        notification_send(
            channel="email",
            recipient=owner.email,
            template="job_failed",
            context={"username": owner.get_username(), **data},
            related=job,
            user=owner,
        )


def _target(job: ProcessingJob) -> dict[str, str] | None:
    if job.target_content_type_id is None:
        return None
    content_type = job.target_content_type
    return {"type": f"{content_type.app_label}.{content_type.model}", "id": job.target_object_id}


@transaction.atomic
def video_event_announce(*, video_id: str, event_type: str) -> None:
    """Emit `video.ready` or `video.failed` to the video's owner's endpoints."""
    video = apps.get_model("videos", "Video").objects.filter(pk=video_id).first()
    if video is None:
        return
    data: dict[str, Any] = {
        "video_id": str(video.pk),
        "title": video.title,
        "status": video.status,
        "error_reason": video.error_reason,
        "duration": video.duration,
        "width": video.width,
        "height": video.height,
    }
    webhook_event_emit(event_type=event_type, data=data, owner=video.owner)


@transaction.atomic
def order_paid_announce(*, order_id: Any) -> None:
    """Emit `order.paid` to the buyer's endpoints."""
    order = apps.get_model("commerce", "Order").objects.filter(pk=order_id).first()
    if order is None:
        return
    data: dict[str, Any] = {"order_id": str(order.pk)}
    # The commerce app owns Order's shape: copy the usual fields that it has.
    for field in ("number", "status", "currency", "total_minor", "paid_at", "created_at"):
        if hasattr(order, field):
            data[field] = getattr(order, field)
    webhook_event_emit(event_type=WebhookEvent.ORDER_PAID, data=data, owner=order.user)
