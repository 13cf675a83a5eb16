"""Celery tasks of the jobs app: importing the job types registers them."""

from jobs.job_types.csv_stats import csv_stats
from jobs.job_types.maintenance import check_stuck_jobs, cleanup_old_jobs, reap_dead_workers
from jobs.job_types.noop import noop_job, raw_noop
from jobs.job_types.orphans import sweep_orphaned_files
from jobs.job_types.resize_images import resize_images
from jobs.job_types.send_emails import send_emails
from jobs.job_types.sleep import sleep_job

__all__ = [
    "check_stuck_jobs",
    "cleanup_old_jobs",
    "csv_stats",
    "noop_job",
    "raw_noop",
    "reap_dead_workers",
    "resize_images",
    "send_emails",
    "sleep_job",
    "sweep_orphaned_files",
]
