"""JobTask: the Celery base class every job task runs on, and `@job_task`, which declares one.

It claims the job row for the delivery, runs the job function with a JobRun, and records
the outcome: completed, failed (permanent error, time limit, out of attempts), cancelled,
or queued again for a retry with exponential backoff and jitter (`retry_countdown`).

A hard time limit kills the pool process before any of this can run: the job keeps
`running` without heartbeats, and the watchdog requeues or fails it. Job types should set
a soft limit below the hard one so the usual path reports the timeout itself.

Job tasks store no Celery result: read the outcome from the job (API, admin, dashboard),
not from `AsyncResult(job.celery_task_id)`, which stays PENDING.
"""

import logging
import random
import traceback as tb
from collections.abc import Callable
from typing import Any

from billiard.exceptions import SoftTimeLimitExceeded
from celery import Task, shared_task
from django.conf import settings

from jobs import services
from jobs.db import CONNECTION_ERRORS, reconnecting
from jobs.errors import JobCancelled, PermanentJobError, TransientJobError, people_message
from jobs.progress import JobRun
from jobs.registry import JobType, get_job_type, register

logger = logging.getLogger(__name__)


def retry_countdown(attempt: int, *, base: float | None = None) -> float:
    """Seconds before the next attempt after `attempt` failed with a transient error.

    base x 2^(attempt-1), jittered by at most +-25%, capped by JOBS_RETRY_BACKOFF_MAX_SECONDS;
    `base` is the job type's own (`JobType.retry_backoff_seconds`) or JOBS_RETRY_BACKOFF_SECONDS.
    """
    if base is None:
        base = settings.JOBS_RETRY_BACKOFF_SECONDS
    delay = base * 2 ** max(0, attempt - 1) * random.uniform(0.75, 1.25)
    return max(0.0, min(settings.JOBS_RETRY_BACKOFF_MAX_SECONDS, delay))


class JobTask(Task):
    """Runs `job_function(run)` for the job whose id is the task's only argument."""

    abstract = True
    acks_late = True
    reject_on_worker_lost = True
    # The job row is the task's result store (status, result, error, traceback, timings):
    # a django-celery-results row per job would repeat it at the cost of a write per task.
    ignore_result = True
    max_retries = None  # attempts are counted and capped on the job row
    job_function: Callable[[JobRun], Any]
    job_type_name: str

    def execute(self, job_id: str | None, params: dict[str, Any]) -> dict[str, Any] | None:
        if job_id is None:  # sent without a job row, e.g. by beat: create it now
            job_id = str(
                reconnecting(
                    services.job_adopt,
                    job_type=self.job_type_name,
                    task_id=self.request.id or "",
                    params=params,
                ).pk
            )
        job = reconnecting(
            services.job_start,
            job_id=job_id,
            task_id=self.request.id or "",
            worker=self.request.hostname or "",
        )
        if job is None:
            return None
        spec = get_job_type(job.job_type)
        try:
            result = self.job_function(JobRun(job))
        except JobCancelled:
            reconnecting(services.job_stopped_at_checkpoint, job_id=job_id)
            return {"job_id": job_id, "status": "cancelled"}
        except SoftTimeLimitExceeded:
            limit = self.request.timelimit[1] if self.request.timelimit else self.soft_time_limit
            reconnecting(
                services.job_fail,
                job_id=job_id,
                error=(
                    f"The job ran longer than its time limit ({limit} s) and was stopped. "
                    "Use a smaller input or ask an operator to raise the limit."
                ),
            )
            return {"job_id": job_id, "status": "failed"}
        except PermanentJobError as exc:
            reconnecting(services.job_fail, job_id=job_id, error=str(exc))
            return {"job_id": job_id, "status": "failed"}
        except Exception as exc:
            # A lost database connection is transient: the next attempt gets a new one.
            transient = isinstance(exc, (TransientJobError, *CONNECTION_ERRORS, *spec.retry_for))
            error = people_message(exc, transient=transient)
            if transient and job.attempts < job.max_attempts:
                logger.warning("job attempt failed job_id=%s: %r", job_id, exc)
                countdown = retry_countdown(job.attempts, base=spec.retry_backoff())
                reconnecting(
                    services.job_schedule_retry, job_id=job_id, error=error, countdown=countdown
                )
                raise self.retry(exc=exc, countdown=countdown) from exc
            if transient:
                error = f"{error} (gave up after {job.attempts} attempts)"
            logger.exception("job error job_id=%s task_id=%s", job_id, self.request.id)
            reconnecting(services.job_fail, job_id=job_id, error=error, traceback=tb.format_exc())
            return {"job_id": job_id, "status": "failed"}
        reconnecting(services.job_complete, job_id=job_id, result=result)
        return {"job_id": job_id, "status": "completed"}


def job_task(
    *,
    job_type: str,
    name: str | None = None,
    **options: Any,
) -> "Callable[[Callable[[JobRun], Any]], Any]":
    """Register `func(run) -> result` as job type `job_type` and return its Celery task.

    The task takes one argument, the job id; the engine loads the job, moves it through
    its states and hands `func` a `JobRun` for params, progress and cancellation. Sent with
    keyword params and no job id (as beat does), it creates its own job row first.
    """

    def decorator(func: "Callable[[JobRun], Any]") -> Any:
        task_name = name or f"{func.__module__}.{func.__name__}"
        spec = JobType(name=job_type, task_name=task_name, **options)

        def run(self: JobTask, job_id: str | None = None, **params: Any) -> dict[str, Any] | None:
            return self.execute(job_id, params)

        run.__name__ = func.__name__
        run.__doc__ = func.__doc__
        task = shared_task(
            bind=True,
            base=JobTask,
            name=task_name,
            job_function=staticmethod(func),
            job_type_name=job_type,
            soft_time_limit=spec.soft_time_limit,
            time_limit=spec.time_limit,
        )(run)
        register(spec)
        return task

    return decorator
