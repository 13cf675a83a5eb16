"""Render status reported by the external renderer, and what follows a finished render."""

import logging
import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.apps import apps
from django.db import IntegrityError, transaction
from django.db.models import Model
from django.utils import timezone

from jobs.models import ProcessingJob
from jobs.services import job_create
from notifications.models import ReceivedWebhook, RenderStatus, VideoRender, WebhookEvent
from notifications.services.messages import notification_send
from notifications.services.webhooks import webhook_event_emit

logger = logging.getLogger(__name__)

STATUS_JOB_TYPE = "render_status_update"
COMPLETION_JOB_TYPE = "render_completion"
STATUS_TASK = "notifications.update_video_render_status"
COMPLETION_TASK = "notifications.process_video_render_completion"
WEBHOOK_SOURCE = "render"


class InvalidRenderReport(ValueError):
    """A render report that cannot be stored as sent (unknown status, bad link)."""


def check_status(status: str) -> str:
    if status not in RenderStatus.values:
        raise InvalidRenderReport(
            f"Unknown render status {status!r}; use one of: {', '.join(RenderStatus.values)}."
        )
    return status


def check_oss_link(oss_link: str) -> str:
    parts = urlsplit(oss_link)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidRenderReport(f"oss_link must be an http(s) URL, not {oss_link!r}.")
    return oss_link


def check_video_id(video_id: str) -> str:
    video_id = str(video_id or "").strip()
    if not video_id or len(video_id) > 255:
        raise InvalidRenderReport("video_id must be a non-empty string of at most 255 characters.")
    return video_id


def _linked_video(video_id: str) -> Model | None:
    """The Reelhouse video whose UUID is the renderer's id, if there is one."""
    try:
        pk = uuid.UUID(video_id)
    except ValueError:
        return None
    video_model = apps.get_model("videos", "Video")
    return video_model.objects.filter(pk=pk).first()


def _locked_render(video_id: str) -> VideoRender:
    render = VideoRender.objects.select_for_update().filter(video_id=video_id).first()
    if render is not None:
        return render
    try:
        with transaction.atomic():
            return VideoRender.objects.create(
                video_id=video_id, linked_video=_linked_video(video_id)
            )
    except IntegrityError:  # created by a concurrent report
        return VideoRender.objects.select_for_update().get(video_id=video_id)


@transaction.atomic
def render_status_update(
    *,
    video_id: str,
    status: str,
    oss_link: str | None = None,
    error_message: str | None = None,
    force_follow_ups: bool = False,
) -> VideoRender:
    """Create or update a render's record; a change to completed or failed notifies."""
    video_id = check_video_id(video_id)
    status = check_status(status)
    link = check_oss_link(oss_link) if oss_link else None
    render = _locked_render(video_id)
    if status == RenderStatus.COMPLETED and not (link or render.oss_link):
        raise InvalidRenderReport("A completed render needs its oss_link.")
    previous_status, previous_link = render.status, render.oss_link
    render.status = status
    if link is not None:
        render.oss_link = link
    if error_message is not None:
        render.error_message = error_message
    newly_completed = status == RenderStatus.COMPLETED and (
        previous_status != RenderStatus.COMPLETED or previous_link != render.oss_link
    )
    if newly_completed:
        render.completed_at = timezone.now()
    if render.linked_video_id is None:
        render.linked_video = _linked_video(video_id)
    render.save()
    logger.info("render status video_id=%s %s -> %s", video_id, previous_status, status)
    if newly_completed or (force_follow_ups and status == RenderStatus.COMPLETED):
        _completed_follow_ups(render)
    elif status == RenderStatus.FAILED and (previous_status != status or force_follow_ups):
        _emit(render, WebhookEvent.RENDER_FAILED)
    return render


def render_complete(*, video_id: str, oss_link: str, force: bool = False) -> VideoRender:
    """Mark a render completed with its link and send the follow-ups (once per link)."""
    if not oss_link:
        raise InvalidRenderReport("A completed render needs its oss_link.")
    return render_status_update(
        video_id=video_id,
        status=RenderStatus.COMPLETED,
        oss_link=oss_link,
        force_follow_ups=force,
    )


@transaction.atomic
def render_fail(*, video_id: str, error_message: str) -> VideoRender | None:
    """Mark an existing render failed (its processing gave up); unknown ids are ignored."""
    render = VideoRender.objects.select_for_update().filter(video_id=video_id).first()
    if render is None:
        return None
    if render.status == RenderStatus.COMPLETED:
        # A failed job here is a report that could not be stored (malformed, or the
        # database gave up): it says nothing about a render that already finished.
        logger.warning(
            "render already completed video_id=%s; not failed by: %s", video_id, error_message
        )
        return render
    previous_status = render.status
    render.status = RenderStatus.FAILED
    render.error_message = error_message
    render.save(update_fields=["status", "error_message", "updated_at"])
    if previous_status != RenderStatus.FAILED:
        _emit(render, WebhookEvent.RENDER_FAILED)
    return render


def render_fail_for_job(job: ProcessingJob) -> None:
    """Mark the render of a failed render job failed (the job's on_failed hook)."""
    video_id = (job.params or {}).get("video_id")
    if video_id:
        render_fail(video_id=str(video_id), error_message=job.error)


def render_data(render: VideoRender) -> dict[str, Any]:
    return {
        "video_id": render.video_id,
        "status": render.status,
        "oss_link": render.oss_link,
        "error_message": render.error_message,
        "reelhouse_video_id": str(render.linked_video_id) if render.linked_video_id else None,
        "completed_at": render.completed_at,
    }


def _owner(render: VideoRender) -> Any:
    return render.linked_video.owner if render.linked_video_id else None


def _emit(render: VideoRender, event_type: str) -> None:
    webhook_event_emit(event_type=event_type, data=render_data(render), owner=_owner(render))


def _completed_follow_ups(render: VideoRender) -> None:
    _emit(render, WebhookEvent.RENDER_COMPLETED)
    owner = _owner(render)
    if owner is not None and owner.email:
        notification_send(
            channel="email",
            recipient=owner.email,
            template="render_completed",
            context={
                "username": owner.get_username(),
                "video_title": render.linked_video.title,
                "video_id": render.video_id,
                "oss_link": render.oss_link,
            },
            related=render,
            user=owner,
        )


@transaction.atomic
def render_completion_enqueue(
    *, video_id: str, oss_link: str, force: bool = False
) -> ProcessingJob:
    """Write a `render_completion` job in the caller's transaction; it is published on commit.

    The job runs what `process_video_render_completion` runs; if the message is lost, the
    watchdog republishes the job.
    """
    params: dict[str, Any] = {"video_id": video_id, "oss_link": oss_link}
    if force:
        params["force"] = True
    return job_create(job_type=COMPLETION_JOB_TYPE, params=params)


def received_webhooks_prune(*, older_than: timedelta) -> int:
    """Forget accepted webhook ids older than the cutoff (stale requests fail anyway)."""
    cutoff = timezone.now() - older_than
    deleted, _ = ReceivedWebhook.objects.filter(received_at__lt=cutoff).delete()
    return deleted


@transaction.atomic
def render_reports_accept(*, reports: list[dict[str, Any]], webhook_id: str | None) -> int | None:
    """Store a batch of render reports at once; None when `webhook_id` was already seen.

    Completed reports are handed to process_video_render_completion (after commit);
    the other statuses are stored here.
    """
    if webhook_id:
        try:
            with transaction.atomic():
                ReceivedWebhook.objects.create(source=WEBHOOK_SOURCE, webhook_id=webhook_id)
        except IntegrityError:
            logger.info("render notification replayed webhook_id=%s; ignored", webhook_id)
            return None
    for report in reports:
        video_id = check_video_id(report["video_id"])
        if report["status"] == RenderStatus.COMPLETED:
            _locked_render(video_id)
            render_completion_enqueue(
                video_id=video_id, oss_link=check_oss_link(report["oss_link"])
            )
        else:
            render_status_update(
                video_id=video_id,
                status=report["status"],
                oss_link=report.get("oss_link") or None,
                error_message=report.get("error_message"),
            )
    logger.info("render notifications accepted=%s webhook_id=%s", len(reports), webhook_id)
    return len(reports)
