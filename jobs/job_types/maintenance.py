"""The watchdog and the cleanup of old jobs, as job types run by beat."""

from datetime import timedelta
from typing import Any

from celery import shared_task
from django.conf import settings

from jobs.base_task import job_task
from jobs.locks import one_run_at_a_time
from jobs.progress import JobRun
from jobs.services import jobs_cleanup, jobs_reap_dead_workers, jobs_requeue_stuck


@job_task(
    job_type="check_stuck_jobs",
    name="jobs.maintenance.check_stuck_jobs",
    queue="maintenance",
    max_attempts=1,
    soft_time_limit=10 * 60,
    time_limit=11 * 60,
    description="Requeue or fail stuck jobs (running without heartbeat, or waiting too long).",
)
@one_run_at_a_time(
    "check_stuck_jobs", ttl_seconds=11 * 60, busy="Another watchdog run is in progress."
)
def check_stuck_jobs(run: JobRun) -> dict[str, Any]:
    """Recover jobs whose worker died or whose publish was lost; never two runs at once."""
    minutes = int(run.params.get("older_than_minutes", settings.JOBS_STUCK_AFTER_MINUTES))
    outcomes = jobs_requeue_stuck(older_than=timedelta(minutes=minutes))
    return {
        "older_than_minutes": minutes,
        "requeued": sum(o.action == "requeued" for o in outcomes),
        "failed": sum(o.action == "failed" for o in outcomes),
        "jobs": [o.as_dict() for o in outcomes[:100]],
    }


@shared_task(
    name="jobs.maintenance.reap_dead_workers",
    queue="maintenance",
    ignore_result=True,
    time_limit=60,
)
def reap_dead_workers() -> dict[str, int]:
    """Requeue the jobs of dead workers; safe to run often and twice at once (row locks).

    A plain task, not a job: it runs every minute and would fill the job list otherwise.
    """
    outcomes = jobs_reap_dead_workers()
    return {
        "requeued": sum(o.action == "requeued" for o in outcomes),
        "failed": sum(o.action == "failed" for o in outcomes),
    }


@job_task(
    job_type="cleanup_old_jobs",
    name="jobs.maintenance.cleanup_old_jobs",
    queue="maintenance",
    max_attempts=1,
    soft_time_limit=50 * 60,
    time_limit=55 * 60,
    description="Delete finished jobs older than JOBS_RETENTION_DAYS, in batches.",
)
@one_run_at_a_time(
    "cleanup_old_jobs", ttl_seconds=55 * 60, busy="Another cleanup run is in progress."
)
def cleanup_old_jobs(run: JobRun) -> dict[str, Any]:
    """Delete old finished jobs; never two runs at once."""
    days = int(run.params.get("days", settings.JOBS_RETENTION_DAYS))
    deleted = jobs_cleanup(
        older_than=timedelta(days=days), batch_size=settings.JOBS_CLEANUP_BATCH_SIZE
    )
    return {"days": days, "deleted": deleted}
