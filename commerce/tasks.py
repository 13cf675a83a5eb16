"""Job types of the commerce app: thin functions that read params and call a service."""

from datetime import date, timedelta
from typing import Any

from django.db import OperationalError
from django.utils import timezone
from rest_framework import serializers

from commerce.models import StockMovementKind
from commerce.services.carts import carts_remind_abandoned
from commerce.services.inventory import inventory_record
from commerce.services.orders import orders_expire
from commerce.services.otp import otp_challenges_purge
from commerce.services.payment_events import payment_event_failed, payment_event_process
from commerce.services.payments import payment_retries_schedule, payment_retry
from commerce.services.refunds import refund_execute, refund_fail
from commerce.services.reports import sales_report_build
from commerce.services.streams import (
    stream_analytics_aggregate,
    streams_cleanup,
    streams_refresh_live_analytics,
)
from jobs.base_task import job_task
from jobs.models import ProcessingJob
from jobs.progress import JobRun

# A lock timeout or deadlock on a busy database is worth another try.
DB_TRANSIENT = (OperationalError,)

# What the jobs that move money share: the front of the queue, a few tries through lock
# timeouts, and a minute to talk to the provider.
_MONEY_JOB_OPTIONS: dict[str, Any] = {
    "queue": "high_priority",
    "max_attempts": 5,
    "retry_for": DB_TRANSIENT,
    "soft_time_limit": 60,
    "time_limit": 90,
}


class EventParams(serializers.Serializer):
    event_id = serializers.IntegerField(min_value=1)


class PaymentParams(serializers.Serializer):
    payment_id = serializers.IntegerField(min_value=1)


class RefundParams(serializers.Serializer):
    refund_id = serializers.IntegerField(min_value=1)


class InventoryParams(serializers.Serializer):
    order_id = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=StockMovementKind.choices)


class StreamParams(serializers.Serializer):
    stream_id = serializers.IntegerField(min_value=1)


class ReportParams(serializers.Serializer):
    date = serializers.CharField(required=False, help_text="YYYY-MM-DD; default yesterday (UTC).")

    def validate_date(self, value: str) -> str:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise serializers.ValidationError("Give the date as YYYY-MM-DD.") from None
        return value


def _event_processing_failed(job: ProcessingJob) -> None:
    payment_event_failed(event_id=int(job.params["event_id"]), error=job.error)


@job_task(
    job_type="process_payment_event",
    name="commerce.payments.process_payment_event",
    priority=8,
    **_MONEY_JOB_OPTIONS,
    params_serializer=EventParams,
    on_failed=_event_processing_failed,
    description="Apply a stored payment webhook to its payment and order.",
)
def process_payment_event(run: JobRun) -> dict[str, Any]:
    """Process one stored payment event."""
    return payment_event_process(event_id=int(run.params["event_id"]))


def _refund_failed(job: ProcessingJob) -> None:
    refund_fail(refund_id=int(job.params["refund_id"]), error=job.error)


@job_task(
    job_type="refund_payment",
    name="commerce.payments.refund_payment",
    priority=7,
    **_MONEY_JOB_OPTIONS,
    params_serializer=RefundParams,
    on_failed=_refund_failed,
    description="Refund a payment through its provider (ECPay: marked for its merchant console).",
)
def refund_payment(run: JobRun) -> dict[str, Any]:
    """Carry out one refund."""
    return refund_execute(refund_id=int(run.params["refund_id"]))


@job_task(
    job_type="retry_failed_payment",
    name="commerce.payments.retry_failed_payment",
    queue="high_priority",
    max_attempts=3,
    retry_for=DB_TRANSIENT,
    params_serializer=PaymentParams,
    description="Re-open a failed payment and ask the customer to complete it.",
)
def retry_failed_payment(run: JobRun) -> dict[str, Any]:
    """Give a failed payment another attempt."""
    return payment_retry(payment_id=int(run.params["payment_id"]))


@job_task(
    job_type="schedule_payment_retries",
    name="commerce.payments.schedule_payment_retries",
    queue="high_priority",
    max_attempts=1,
    description="Start a retry_failed_payment job for each payment whose retry is due.",
)
def schedule_payment_retries(run: JobRun) -> dict[str, Any]:
    """Start the retries that are due."""
    return {"scheduled": payment_retries_schedule()}


@job_task(
    job_type="inventory_bookkeeping",
    name="commerce.orders.inventory_bookkeeping",
    queue="high_priority",
    max_attempts=5,
    retry_for=DB_TRANSIENT,
    params_serializer=InventoryParams,
    description="Write an order's stock movements to the inventory ledger.",
)
def inventory_bookkeeping(run: JobRun) -> dict[str, Any]:
    """Record an order's stock reservation, release or sale."""
    return inventory_record(order_id=int(run.params["order_id"]), kind=run.params["kind"])


@job_task(
    job_type="expire_unpaid_orders",
    name="commerce.orders.expire_unpaid_orders",
    queue="high_priority",
    max_attempts=1,
    soft_time_limit=4 * 60,
    time_limit=5 * 60,
    description="Cancel orders unpaid past ORDER_PAYMENT_TIMEOUT_MINUTES, releasing stock.",
)
def expire_unpaid_orders(run: JobRun) -> dict[str, Any]:
    """Expire overdue unpaid orders."""
    expired = orders_expire()
    return {"expired": len(expired), "order_ids": expired[:100]}


@job_task(
    job_type="aggregate_stream_analytics",
    name="commerce.analytics.aggregate_stream_analytics",
    queue="default",
    max_attempts=3,
    retry_for=DB_TRANSIENT,
    params_serializer=StreamParams,
    description="Count the paid orders attributed to a live stream and their revenue.",
)
def aggregate_stream_analytics(run: JobRun) -> dict[str, Any]:
    """Store a stream's orders count and revenue."""
    return stream_analytics_aggregate(stream_id=int(run.params["stream_id"]))


@job_task(
    job_type="refresh_live_stream_analytics",
    name="commerce.analytics.refresh_live_streams",
    queue="default",
    max_attempts=1,
    soft_time_limit=4 * 60,
    time_limit=5 * 60,
    description="Recount the orders and revenue of every live stream.",
)
def refresh_live_stream_analytics(run: JobRun) -> dict[str, Any]:
    """Refresh the analytics of streams that are live."""
    refreshed = streams_refresh_live_analytics()
    return {"refreshed": len(refreshed), "stream_ids": refreshed[:100]}


@job_task(
    job_type="daily_sales_report",
    name="commerce.reports.daily_sales_report",
    queue="low_priority",
    max_attempts=3,
    retry_for=DB_TRANSIENT,
    soft_time_limit=20 * 60,
    time_limit=25 * 60,
    params_serializer=ReportParams,
    description="Build a day's sales report (CSV in storage) and email it to staff.",
)
def daily_sales_report(run: JobRun) -> dict[str, Any]:
    """Build the sales report of `date` (default: yesterday, UTC)."""
    raw = run.params.get("date")
    day = date.fromisoformat(raw) if raw else timezone.now().date() - timedelta(days=1)
    report = sales_report_build(day=day)
    return {
        "date": day.isoformat(),
        "report_id": report.pk,
        "orders_count": report.orders_count,
        "totals": report.totals,
        "csv": report.csv_file.name,
    }


@job_task(
    job_type="remind_abandoned_carts",
    name="commerce.carts.remind_abandoned_carts",
    queue="default",
    max_attempts=1,
    soft_time_limit=10 * 60,
    time_limit=11 * 60,
    description="Email one reminder per cart left idle past CART_ABANDONED_AFTER_HOURS.",
)
def remind_abandoned_carts(run: JobRun) -> dict[str, Any]:
    """Remind owners of abandoned carts."""
    reminded = carts_remind_abandoned()
    return {"reminded": len(reminded), "cart_ids": reminded[:100]}


@job_task(
    job_type="cleanup_ended_streams",
    name="commerce.cleanup.ended_streams",
    queue="low_priority",
    max_attempts=1,
    description="Delete streams that ended more than STREAM_RETENTION_DAYS ago.",
)
def cleanup_ended_streams(run: JobRun) -> dict[str, Any]:
    """Delete old ended streams."""
    return {"deleted": streams_cleanup()}


@job_task(
    job_type="cleanup_otp_challenges",
    name="commerce.cleanup.otp_challenges",
    queue="low_priority",
    max_attempts=1,
    description="Delete one-time codes older than a day.",
)
def cleanup_otp_challenges(run: JobRun) -> dict[str, Any]:
    """Delete old one-time codes."""
    return {"deleted": otp_challenges_purge()}
