"""Turn other apps' events (a job failed, a video is ready, an order is paid) into
webhook events and emails, through an outbox job.

A receiver writes a `notification_announce` job in the transaction that made the change
(`event_announce_enqueue`), so the announcement commits or rolls back with it and a crash
after commit loses nothing: the job is published on commit, and a job left `pending`
(the process died first) is republished by the watchdog. The job runs `event_announce`,
which creates the webhook deliveries and emails once, however often it runs.
"""

import logging
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.db import transaction

from jobs.models import ProcessingJob
from jobs.services import job_create
from notifications.models import WebhookEvent
from notifications.services.messages import notification_send
from notifications.services.webhooks import webhook_event_emit

logger = logging.getLogger(__name__)

ANNOUNCE_JOB_TYPE = "notification_announce"
# Failures of our own sending jobs are not announced: a failing announcement would
# announce itself again.
SILENT_JOB_TYPE_PREFIXES = ("notification_", "webhook_")


def is_silent_job_type(job_type: str) -> bool:
    return job_type.startswith(SILENT_JOB_TYPE_PREFIXES)


def event_announce_enqueue(*, event_type: str, object_id: str) -> ProcessingJob:
    """Write the announcement's job in the caller's transaction (published on commit)."""
    if event_type not in ANNOUNCERS:
        raise ValueError(f"No announcement for {event_type!r}.")
    return job_create(
        job_type=ANNOUNCE_JOB_TYPE, params={"event_type": event_type, "object_id": object_id}
    )


@transaction.atomic
def event_announce(*, job_id: str) -> dict[str, Any]:
    """Run an announcement job once: its deliveries and emails commit with a done mark.

    The mark is the job's own `result`, written in the same transaction as the effects,
    so a second run (the worker died before the job was completed) finds it and stops.
    """
    job = ProcessingJob.objects.select_for_update().get(pk=job_id)
    if isinstance(job.result, dict) and job.result.get("announced"):
        return {**job.result, "skipped": "already announced"}
    event_type, object_id = job.params["event_type"], str(job.params["object_id"])
    announced = ANNOUNCERS[event_type](object_id, f"evt_{job.pk.hex}")
    result = {"announced": announced, "event_type": event_type, "object_id": object_id}
    ProcessingJob.objects.filter(pk=job.pk).update(result=result)
    logger.info("event announced job_id=%s type=%s object_id=%s", job.pk, event_type, object_id)
    return result


def job_failure_announce(*, job_id: str, event_id: str | None = None) -> bool:
    """Emit `job.failed` and email the person who started the job."""
    job = ProcessingJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or is_silent_job_type(job.job_type):
        return False
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
    webhook_event_emit(
        event_type=WebhookEvent.JOB_FAILED, data=data, owner=owner, event_id=event_id
    )
    if owner is not None and owner.email:
        notification_send(
            channel="email",
            recipient=owner.email,
            template="job_failed",
            context={"username": owner.get_username(), **data},
            related=job,
            user=owner,
        )
    return True


def _target(job: ProcessingJob) -> dict[str, str] | None:
    if job.target_content_type_id is None:
        return None
    content_type = job.target_content_type
    return {"type": f"{content_type.app_label}.{content_type.model}", "id": job.target_object_id}


def video_event_announce(*, video_id: str, event_type: str, event_id: str | None = None) -> bool:
    """Emit `video.ready` or `video.failed` to the video's owner's endpoints."""
    video = apps.get_model("videos", "Video").objects.filter(pk=video_id).first()
    if video is None:
        return False
    data: dict[str, Any] = {
        "video_id": str(video.pk),
        "title": video.title,
        "status": video.status,
        "error_reason": video.error_reason,
        "duration": video.duration,
        "width": video.width,
        "height": video.height,
    }
    webhook_event_emit(event_type=event_type, data=data, owner=video.owner, event_id=event_id)
    return True


def order_paid_announce(*, order_id: Any, event_id: str | None = None) -> bool:
    """Emit `order.paid` to the buyer's endpoints."""
    order = apps.get_model("commerce", "Order").objects.filter(pk=order_id).first()
    if order is None:
        return False
    data: dict[str, Any] = {"order_id": str(order.pk)}
    # The commerce app owns Order's shape: copy the usual fields that it has.
    for field in ("number", "status", "currency", "total_minor", "paid_at", "created_at"):
        if hasattr(order, field):
            data[field] = getattr(order, field)
    webhook_event_emit(
        event_type=WebhookEvent.ORDER_PAID, data=data, owner=order.user, event_id=event_id
    )
    return True


# event type -> announce(object_id, event_id)
ANNOUNCERS: dict[str, Callable[[str, str], bool]] = {
    WebhookEvent.JOB_FAILED: lambda pk, event_id: job_failure_announce(
        job_id=pk, event_id=event_id
    ),
    WebhookEvent.VIDEO_READY: lambda pk, event_id: video_event_announce(
        video_id=pk, event_type=WebhookEvent.VIDEO_READY, event_id=event_id
    ),
    WebhookEvent.VIDEO_FAILED: lambda pk, event_id: video_event_announce(
        video_id=pk, event_type=WebhookEvent.VIDEO_FAILED, event_id=event_id
    ),
    WebhookEvent.ORDER_PAID: lambda pk, event_id: order_paid_announce(
        order_id=pk, event_id=event_id
    ),
}
