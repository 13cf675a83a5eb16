"""The videos app's periodic tasks (synced by `manage.py setup_periodic_tasks`)."""

from jobs.periodic import PeriodicSchedule

SCHEDULES = [
    PeriodicSchedule(
        name="videos: expire tus uploads",
        task="videos.cleanup.expire_tus_uploads",
        cron="5 * * * *",
        queue="low_priority",
        description="Delete unfinished tus uploads past TUS_UPLOAD_EXPIRE_HOURS and their data.",
    ),
    PeriodicSchedule(
        name="videos: abort stale multipart uploads",
        task="videos.cleanup.abort_stale_multipart_uploads",
        cron="35 * * * *",
        queue="low_priority",
        description="Abort S3 multipart uploads older than TUS_UPLOAD_EXPIRE_HOURS.",
    ),
]
