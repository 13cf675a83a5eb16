"""Celery entry points of the notifications app: job types, the render seed tasks, timers."""

import logging
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings

from jobs.errors import PermanentJobError
from jobs.progress import JobRun
from jobs.registry import job_task
from notifications import render_runs
from notifications.services import messages, renders, webhooks

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
    name=webhooks.DISPATCH_TASK, acks_late=True, reject_on_worker_lost=True, ignore_result=True
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
RENDER_TRANSIENT_ERRORS = render_runs.TRANSIENT_ERRORS
RENDER_MAX_RETRIES = 3


def render_retry_policy() -> dict[str, Any]:
    """Celery retry options of the render tasks: exponential backoff with full jitter."""
    base = settings.RENDER_RETRY_BACKOFF_SECONDS
    return {
        "autoretry_for": RENDER_TRANSIENT_ERRORS,
        "retry_backoff": base,
        "retry_backoff_max": base * 2**RENDER_MAX_RETRIES,
        "retry_jitter": True,
        "max_retries": RENDER_MAX_RETRIES,
    }


RENDER_TASK_OPTIONS: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "soft_time_limit": 25 * 60,
    "time_limit": 30 * 60,
    **render_retry_policy(),
}
RENDER_JOB_OPTIONS: dict[str, Any] = {
    "queue": "default",
    "max_attempts": RENDER_MAX_RETRIES + 1,
    "soft_time_limit": 25 * 60,
    "time_limit": 30 * 60,
    "retry_for": RENDER_TRANSIENT_ERRORS,
    "on_failed": renders.render_fail_for_job,
}


@shared_task(name="notifications.update_video_render_status", **RENDER_TASK_OPTIONS)
def update_video_render_status(
    self: Any,
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
    return render_runs.run_as_job(
        self, job_type=renders.STATUS_JOB_TYPE, params=params, work=render_runs.update_status
    )


@shared_task(name=renders.COMPLETION_TASK, **RENDER_TASK_OPTIONS)
def process_video_render_completion(
    self: Any, video_id: str, oss_link: str, force: bool = False
) -> dict[str, Any] | None:
    """Mark the render completed with its link, then send the webhook and the email."""
    params: dict[str, Any] = {"video_id": video_id, "oss_link": oss_link}
    if force:
        params["force"] = True
    return render_runs.run_as_job(
        self, job_type=renders.COMPLETION_JOB_TYPE, params=params, work=render_runs.complete
    )


def _as_job(work: Any) -> Any:
    def job_function(run: JobRun) -> dict[str, Any]:
        try:
            return work(run.params)
        except renders.InvalidRenderReport as exc:
            raise PermanentJobError(str(exc)) from exc

    return job_function


# The same work as job types, so the job engine can republish a job whose message was
# lost (watchdog) or retry a failed one from the API.
render_status_update_job = job_task(
    job_type=renders.STATUS_JOB_TYPE,
    name="notifications.renders.update_status",
    description="Create or update a render record (update_video_render_status).",
    **RENDER_JOB_OPTIONS,
)(_as_job(render_runs.update_status))

render_completion_job = job_task(
    job_type=renders.COMPLETION_JOB_TYPE,
    name="notifications.renders.complete",
    description="Complete a render and notify (process_video_render_completion).",
    **RENDER_JOB_OPTIONS,
)(_as_job(render_runs.complete))
