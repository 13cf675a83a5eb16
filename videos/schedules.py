"""The videos app's periodic tasks (synced by `manage.py setup_periodic_tasks`)."""

from jobs.periodic import PeriodicSchedule

SCHEDULES = [
    PeriodicSchedule(
        name="videos: expire tus uploads",
        task="videos.cleanup.expire_tus_uploads",
        cron="5 * * * *",
        description="Delete unfinished tus uploads past TUS_UPLOAD_EXPIRE_HOURS and their data.",
    ),
    PeriodicSchedule(
        name="videos: abort stale multipart uploads",
        task="videos.cleanup.abort_stale_multipart_uploads",
        cron="35 * * * *",
        description="Abort S3 multipart uploads older than TUS_UPLOAD_EXPIRE_HOURS.",
    ),
    PeriodicSchedule(
        name="videos: sweep work folders",
        task="videos.cleanup.sweep_work_dirs",
        cron="50 * * * *",
        description="Remove the work folders of video jobs killed at their hard time limit or "
        "with their worker (also done at the start of each video job on that host).",
    ),
]
