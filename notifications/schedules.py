"""The notifications app's periodic tasks (synced by `manage.py setup_periodic_tasks`)."""

from jobs.periodic import PeriodicSchedule

SCHEDULES = [
    PeriodicSchedule(
        name="notifications: dispatch due webhook retries",
        task="notifications.webhooks.dispatch_due_deliveries",
        every_seconds=120,
        description=(
            "Start webhook attempts whose retry is due: waits longer than 15 minutes, and any "
            "retry whose timer message was lost."
        ),
    ),
    PeriodicSchedule(
        name="notifications: prune delivered webhooks",
        task="notifications.webhooks.prune_deliveries",
        cron="30 3 * * *",
        description="Delete successful webhook deliveries older than "
        "WEBHOOK_DELIVERY_RETENTION_DAYS.",
    ),
]
