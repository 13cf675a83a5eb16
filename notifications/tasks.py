"""Celery entry points of the notifications app: job types, the render seed tasks, timers."""

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections

from jobs.base_task import JobTask, job_task
from jobs.errors import PermanentJobError
from jobs.progress import JobRun
from jobs.services import job_adopt
from notifications.services import events, messages, renders, webhooks

logger = logging.getLogger(__name__)


# --- Email and SMS ---------------------------------------------------------------------
def _deliver_notification(run: JobRun) -> dict[str, Any]:
    return messages.notification_deliver(notification_id=int(run.params["notification_id"]))


deliver_notification = job_task(
    job_type=messages.DELIVER_JOB_TYPE,
    name="notifications.deliver_notification",
    queue="default",
    max_attempts=5,
    soft_time_limit=2 * 60,
    time_limit=3 * 60,
    on_failed=messages.notification_fail_for_job,
    description="Send one queued email or SMS.",
)(_deliver_notification)

deliver_notification_urgent = job_task(
    job_type=messages.DELIVER_URGENT_JOB_TYPE,
    name="notifications.deliver_notification_urgent",
    queue="high_priority",
    priority=9,
    max_attempts=5,
    soft_time_limit=60,
    time_limit=90,
    on_failed=messages.notification_fail_for_job,
    description="Send one queued urgent email or SMS (one-time codes).",
)(_deliver_notification)


# --- Announcements of other apps' events (the outbox rows their receivers write) -----
@job_task(
    job_type=events.ANNOUNCE_JOB_TYPE,
    name="notifications.announce_event",
    queue="default",
    max_attempts=5,
    retry_for=(OperationalError, InterfaceError),
    soft_time_limit=2 * 60,
    time_limit=3 * 60,
    description="Turn an event (job failed, video ready, order paid) into webhooks and emails.",
)
def announce_event(run: JobRun) -> dict[str, Any]:
    """Create the event's webhook deliveries and emails, once."""
    return events.event_announce(job_id=run.job_id)


# --- Outbound webhooks -----------------------------------------------------------------
@job_task(
    job_type=webhooks.DELIVER_JOB_TYPE,
    name="notifications.webhooks.deliver",
    queue="default",
    # A second run only happens when the first worker died mid-attempt.
    max_attempts=2,
    soft_time_limit=60,
    time_limit=90,
    on_failed=webhooks.webhook_delivery_fail_for_job,
    description="Make one attempt of a webhook delivery.",
)
def deliver_webhook(run: JobRun) -> dict[str, Any]:
    """Send the delivery's event once, signed, and record the answer."""
    return webhooks.webhook_attempt_run(delivery_id=run.params["delivery_id"], job_id=run.job_id)


@shared_task(
    name=webhooks.DISPATCH_TASK,
    queue="default",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
)
def dispatch_delivery_task(delivery_id: str) -> None:
    """Timer for a short retry wait: start the delivery's next attempt when it is due."""
    webhooks.webhook_delivery_dispatch(delivery_id=delivery_id)


@job_task(
    job_type="webhook_dispatch_due",
    name="notifications.webhooks.dispatch_due_deliveries",
    queue="default",
    max_attempts=1,
    soft_time_limit=5 * 60,
    time_limit=6 * 60,
    description="Start the attempts of webhook deliveries whose retry is due.",
)
def dispatch_due_deliveries(run: JobRun) -> dict[str, Any]:
    """Start due retries (long waits and timers that were lost)."""
    return {"started": webhooks.webhook_deliveries_dispatch_due()}


@job_task(
    job_type="webhook_prune_deliveries",
    name="notifications.webhooks.prune_deliveries",
    queue="default",
    max_attempts=1,
    soft_time_limit=30 * 60,
    time_limit=35 * 60,
    description="Delete successful webhook deliveries older than the retention period.",
)
def prune_deliveries(run: JobRun) -> dict[str, Any]:
    """Delete old successful deliveries and old replay-protection ids."""
    days = int(run.params.get("days", settings.WEBHOOK_DELIVERY_RETENTION_DAYS))
    deleted = webhooks.webhook_deliveries_prune(older_than=timedelta(days=days))
    forgotten = renders.received_webhooks_prune(older_than=timedelta(days=1))
    return {"days": days, "deleted": deleted, "forgotten_webhook_ids": forgotten}


# --- Render status (the seed's tasks and their job types) -------------------------------
# Both run on the job engine (JobTask): the job row holds the attempts, the outcome and
# the retry of transient database errors; bad input fails the job at once, and its
# on_failed hook marks the render failed (never one already completed).
RENDER_TRANSIENT_ERRORS = (OperationalError, InterfaceError)
RENDER_MAX_RETRIES = 3
RENDER_JOB_OPTIONS: dict[str, Any] = {
    "queue": "default",
    "max_attempts": RENDER_MAX_RETRIES + 1,
    "soft_time_limit": 25 * 60,
    "time_limit": 30 * 60,
    "retry_for": RENDER_TRANSIENT_ERRORS,
    "retry_backoff_seconds": lambda: settings.RENDER_RETRY_BACKOFF_SECONDS,
    "on_failed": renders.render_fail_for_job,
}


def _render_job(work: Callable[..., Any]) -> Callable[[JobRun], dict[str, Any]]:
    def job_function(run: JobRun) -> dict[str, Any]:
        try:
            return work(run.params)
        except renders.InvalidRenderReport as exc:
            raise PermanentJobError(str(exc)) from exc
        except RENDER_TRANSIENT_ERRORS:
            close_old_connections()  # the broken connection must not record the outcome
            raise

    return job_function


def _update_status(params: dict[str, Any]) -> dict[str, Any]:
    render = renders.render_status_update(
        video_id=params["video_id"],
        status=params["status"],
        oss_link=params.get("oss_link"),
        error_message=params.get("error_message"),
    )
    return {"video_id": render.video_id, "status": render.status}


def _complete(params: dict[str, Any]) -> dict[str, Any]:
    render = renders.render_complete(
        video_id=params["video_id"],
        oss_link=params.get("oss_link") or "",
        force=bool(params.get("force")),
    )
    return {"video_id": render.video_id, "status": render.status, "oss_link": render.oss_link}


render_status_update_job = job_task(
    job_type=renders.STATUS_JOB_TYPE,
    name="notifications.renders.update_status",
    description="Create or update a render record (update_video_render_status).",
    **RENDER_JOB_OPTIONS,
)(_render_job(_update_status))

render_completion_job = job_task(
    job_type=renders.COMPLETION_JOB_TYPE,
    name="notifications.renders.complete",
    description="Complete a render and notify (process_video_render_completion).",
    **RENDER_JOB_OPTIONS,
)(_render_job(_complete))


def _run_seed_task(task: JobTask, params: dict[str, Any]) -> dict[str, Any] | None:
    """Run a seed task's message as a job of its type, adopting the row of its task id."""
    if task.request.id:
        return task.execute(None, params)
    # Called in-process (not through a broker): give the run its own row.
    job = job_adopt(job_type=task.job_type_name, task_id=str(uuid.uuid4()), params=params)
    return task.execute(str(job.pk), params)


def _seed_task(name: str, job_type: str, work: Callable[..., Any]) -> dict[str, Any]:
    return {
        "name": name,
        "bind": True,
        "base": JobTask,
        "job_function": staticmethod(_render_job(work)),
        "job_type_name": job_type,
        "soft_time_limit": RENDER_JOB_OPTIONS["soft_time_limit"],
        "time_limit": RENDER_JOB_OPTIONS["time_limit"],
    }


@shared_task(**_seed_task(renders.STATUS_TASK, renders.STATUS_JOB_TYPE, _update_status))
def update_video_render_status(
    self: JobTask,
    video_id: str,
    status: str,
    oss_link: str | None = None,
    error_message: str | None = None,
) -> dict[str, Any] | None:
    """Create or update the render record of `video_id` in one transaction."""
    params = {
        "video_id": video_id,
        "status": status,
        "oss_link": oss_link,
        "error_message": error_message,
    }
    return _run_seed_task(self, params)


@shared_task(**_seed_task(renders.COMPLETION_TASK, renders.COMPLETION_JOB_TYPE, _complete))
def process_video_render_completion(
    self: JobTask, video_id: str, oss_link: str, force: bool = False
) -> dict[str, Any] | None:
    """Mark the render completed with its link, then send the webhook and the email."""
    params: dict[str, Any] = {"video_id": video_id, "oss_link": oss_link}
    if force:
        params["force"] = True
    return _run_seed_task(self, params)
