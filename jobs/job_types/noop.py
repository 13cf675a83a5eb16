"""`noop`: a job that does nothing, and a plain Celery task that does the same.

bench/jobs_throughput.py runs both to measure what the job engine costs per task.
"""

from typing import Any

from celery import shared_task

from jobs.base_task import job_task
from jobs.progress import JobRun


@job_task(
    job_type="noop",
    name="jobs.generic.noop",
    queue="default",
    max_attempts=1,
    description="Do nothing (for benchmarks of the job engine).",
)
def noop_job(run: JobRun) -> dict[str, Any]:
    """Return at once."""
    return {}


@shared_task(name="jobs.bench.raw_noop")
def raw_noop() -> None:
    """Return at once, without a job row."""
