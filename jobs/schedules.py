"""The jobs app's periodic tasks (synced by `manage.py setup_periodic_tasks`)."""

from jobs.periodic import PeriodicSchedule

SCHEDULES = [
    PeriodicSchedule(
        name="jobs: reap dead workers",
        task="jobs.maintenance.reap_dead_workers",
        every_seconds=60,
        description="Requeue or fail the running jobs of workers whose heartbeat stopped "
        "(every worker also does this on each heartbeat).",
    ),
    PeriodicSchedule(
        name="jobs: check stuck jobs",
        task="jobs.maintenance.check_stuck_jobs",
        every_seconds=15 * 60,
        description="Requeue or fail jobs without a heartbeat or waiting too long.",
    ),
    PeriodicSchedule(
        name="jobs: clean up old jobs",
        task="jobs.maintenance.cleanup_old_jobs",
        cron="0 2 * * *",
        description="Delete finished jobs older than JOBS_RETENTION_DAYS.",
    ),
    PeriodicSchedule(
        name="jobs: sweep orphaned files",
        task="jobs.cleanup.sweep_orphaned_files",
        cron="20 3 * * *",
        description="Delete stored files whose row never committed (the process died between "
        "writing the file and the row) or is gone: video originals and renditions, job "
        "inputs and outputs, sales report CSVs (every app that registers its folders).",
    ),
]
