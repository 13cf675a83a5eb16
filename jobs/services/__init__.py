"""Every write to jobs goes through these functions."""

from jobs.services.lifecycle import (
    job_adopt,
    job_complete,
    job_create,
    job_fail,
    job_publish,
    job_schedule_retry,
    job_start,
    job_stopped_at_checkpoint,
)
from jobs.services.maintenance import (
    dead_worker_jobs,
    jobs_cleanup,
    jobs_reap_dead_workers,
    jobs_requeue_stuck,
    stuck_jobs,
)
from jobs.services.operations import job_cancel, job_requeue, job_retry
from jobs.services.submission import job_submit, user_jobs_quota_check

__all__ = [
    "dead_worker_jobs",
    "job_adopt",
    "job_cancel",
    "job_complete",
    "job_create",
    "job_fail",
    "job_publish",
    "job_requeue",
    "job_retry",
    "job_schedule_retry",
    "job_start",
    "job_stopped_at_checkpoint",
    "job_submit",
    "jobs_cleanup",
    "jobs_reap_dead_workers",
    "jobs_requeue_stuck",
    "stuck_jobs",
    "user_jobs_quota_check",
]
