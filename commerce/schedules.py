"""The commerce app's periodic tasks (synced by `manage.py setup_periodic_tasks`)."""

from jobs.periodic import PeriodicSchedule

SCHEDULES = [
    PeriodicSchedule(
        name="commerce: expire unpaid orders",
        task="commerce.orders.expire_unpaid_orders",
        every_seconds=5 * 60,
        description="Cancel orders unpaid past ORDER_PAYMENT_TIMEOUT_MINUTES; stock goes back.",
    ),
    PeriodicSchedule(
        name="commerce: start due payment retries",
        task="commerce.payments.schedule_payment_retries",
        every_seconds=60,
        description="Re-open failed payments whose backoff has passed.",
    ),
    PeriodicSchedule(
        name="commerce: refresh live stream analytics",
        task="commerce.analytics.refresh_live_streams",
        every_seconds=5 * 60,
        description="Recount the attributed orders and revenue of every live stream "
        "(each stream is counted once more when it ends).",
    ),
    PeriodicSchedule(
        name="commerce: remind abandoned carts",
        task="commerce.carts.remind_abandoned_carts",
        cron="15 * * * *",
        description="One email per cart idle past CART_ABANDONED_AFTER_HOURS.",
    ),
    PeriodicSchedule(
        name="commerce: daily sales report",
        task="commerce.reports.daily_sales_report",
        cron="0 2 * * *",
        description="Yesterday's sales as a report with a CSV, emailed to staff.",
    ),
    PeriodicSchedule(
        name="commerce: clean up ended streams",
        task="commerce.cleanup.ended_streams",
        cron="0 3 * * *",
        description="Delete streams ended more than STREAM_RETENTION_DAYS ago (recordings stay).",
    ),
    PeriodicSchedule(
        name="commerce: clean up one-time codes",
        task="commerce.cleanup.otp_challenges",
        cron="30 3 * * *",
        description="Delete one-time codes older than a day.",
    ),
]
