"""Run the seed's render tasks (plain Celery tasks) as ProcessingJob rows.

`update_video_render_status` and `process_video_render_completion` keep the seed's
positional signatures and Celery's own retry options, so `.delay(...)` works as before.
Each run adopts the job row keyed by its task id (written by the sender, or created
here), moves it through the job states and leaves the outcome on it.
"""

import logging
import uuid
from collections.abc import Callable
from typing import Any

from billiard.exceptions import SoftTimeLimitExceeded
from celery import Task
from django.db import InterfaceError, OperationalError, close_old_connections

from jobs.errors import PermanentJobError
from jobs.services import job_adopt, job_complete, job_fail, job_schedule_retry, job_start
from notifications.services import renders

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OperationalError, InterfaceError)


def update_status(params: dict[str, Any]) -> dict[str, Any]:
    """Create or update a render record from the task's params."""
    render = renders.render_status_update(
        video_id=params["video_id"],
        status=params["status"],
        oss_link=params.get("oss_link"),
        error_message=params.get("error_message"),
    )
    return {"video_id": render.video_id, "status": render.status}


def complete(params: dict[str, Any]) -> dict[str, Any]:
    """Complete a render from the task's params and send its follow-ups."""
    render = renders.render_complete(
        video_id=params["video_id"],
        oss_link=params.get("oss_link") or "",
        force=bool(params.get("force")),
    )
    return {"video_id": render.video_id, "status": render.status, "oss_link": render.oss_link}


def run_as_job(
    task: Task,
    *,
    job_type: str,
    params: dict[str, Any],
    work: Callable[[dict[str, Any]], dict[str, Any]],
) -> dict[str, Any] | None:
    """Run `work(params)` for a bound task, recording it on the task's job row.

    Transient database errors are re-raised for the task's autoretry while retries are
    left; after the last one (and at once for bad input) the job fails, and its
    on_failed hook marks the render failed with the error.
    """
    task_id = task.request.id or str(uuid.uuid4())  # called directly, not through a broker
    job_id = str(job_adopt(job_type=job_type, task_id=task_id, params=params).pk)
    if job_start(job_id=job_id, task_id=task_id, worker=task.request.hostname or "") is None:
        return None
    try:
        result = work(params)
    except TRANSIENT_ERRORS as exc:
        close_old_connections()  # the failed connection must not be reused for the record
        retries = task.request.retries or 0
        error = f"{exc.__class__.__name__}: {exc}"
        if retries < (task.max_retries or 0):
            ceiling = min(task.retry_backoff * 2**retries, task.retry_backoff_max)
            job_schedule_retry(job_id=job_id, error=error, countdown=ceiling)
            raise
        job_fail(job_id=job_id, error=f"{error} (gave up after {retries + 1} attempts)")
        raise
    except (renders.InvalidRenderReport, PermanentJobError) as exc:
        job_fail(job_id=job_id, error=str(exc))
        logger.warning("render task failed job_id=%s task_id=%s: %s", job_id, task_id, exc)
        return {"job_id": job_id, "status": "failed", "error": str(exc)}
    except SoftTimeLimitExceeded:
        error = f"The task ran longer than its time limit ({task.soft_time_limit} s)."
        job_fail(job_id=job_id, error=error)
        return {"job_id": job_id, "status": "failed", "error": error}
    job_complete(job_id=job_id, result=result)
    return result
