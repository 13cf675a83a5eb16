"""The periodic work: expiry, payment retries, cart reminders, sales reports, cleanup."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from commerce.models import (
    Cart,
    DailySalesReport,
    LiveStream,
    Order,
    OrderStatus,
    OtpChallenge,
    Payment,
    PaymentStatus,
    StockMovement,
    StockState,
    StreamStatus,
)
from commerce.schedules import SCHEDULES
from commerce.services.carts import carts_remind_abandoned
from commerce.services.inventory import inventory_record
from commerce.services.orders import OrderLine, order_place, orders_expire
from commerce.services.otp import otp_challenges_purge
from commerce.services.payments import payment_retries_schedule, payment_retry
from commerce.services.reports import sales_report_build
from commerce.services.streams import streams_cleanup
from jobs.models import ProcessingJob
from jobs.periodic import schedule_queue
from jobs.registry import get_job_type
from notifications.models import Notification
from tests.commerce.factories import (
    CartItemFactory,
    LiveStreamFactory,
    PaymentFactory,
    ProductFactory,
    order_with_item,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_every_schedule_runs_a_registered_job_on_the_documented_queue():
    queues = {schedule.task: schedule_queue(schedule) for schedule in SCHEDULES}

    assert queues == {
        "commerce.orders.expire_unpaid_orders": "high_priority",
        "commerce.payments.schedule_payment_retries": "high_priority",
        "commerce.carts.remind_abandoned_carts": "default",
        "commerce.analytics.refresh_live_streams": "default",
        "commerce.reports.daily_sales_report": "low_priority",
        "commerce.cleanup.ended_streams": "low_priority",
        "commerce.cleanup.otp_challenges": "low_priority",
    }
    report = next(s for s in SCHEDULES if s.task == "commerce.reports.daily_sales_report")
    assert report.cron == "0 2 * * *"
    cleanup = next(s for s in SCHEDULES if s.task == "commerce.cleanup.ended_streams")
    assert cleanup.cron == "0 3 * * *"
    for job_type in (
        "daily_sales_report",
        "expire_unpaid_orders",
        "remind_abandoned_carts",
        "refresh_live_stream_analytics",
    ):
        assert get_job_type(job_type).task_name in queues


# --- expiry -------------------------------------------------------------------------


def test_unpaid_orders_past_their_deadline_expire_and_release_stock_once(user, settings):
    product = ProductFactory(stock=5)
    order = order_place(user=user, lines=[OrderLine(product.pk, 2)])
    Order.objects.filter(pk=order.pk).update(payment_due_at=timezone.now() - timedelta(seconds=1))

    first = orders_expire()
    second = orders_expire()

    order.refresh_from_db()
    product.refresh_from_db()
    assert first == [order.pk]
    assert second == []
    assert order.status == OrderStatus.CANCELLED
    assert order.stock_state == StockState.RELEASED
    assert "Expired" in order.status_changes.last().reason
    assert product.stock == 5


def test_orders_within_their_deadline_or_paid_do_not_expire(user):
    product = ProductFactory(stock=5)
    fresh = order_place(user=user, lines=[OrderLine(product.pk, 1)])
    paid = order_place(user=user, lines=[OrderLine(product.pk, 1)])
    Order.objects.filter(pk=paid.pk).update(
        status=OrderStatus.PAID, payment_due_at=timezone.now() - timedelta(hours=1)
    )

    assert orders_expire() == []
    fresh.refresh_from_db()
    assert fresh.status == OrderStatus.PENDING_PAYMENT


# --- payment retries ------------------------------------------------------------------


def test_due_retry_starts_one_job_and_reopens_the_payment(user):
    order = order_with_item(user=user)
    payment = PaymentFactory(
        order=order,
        status=PaymentStatus.FAILED,
        attempts=1,
        failure_message="Card declined",
        next_retry_at=timezone.now() - timedelta(seconds=1),
    )

    scheduled = payment_retries_schedule()
    again = payment_retries_schedule()
    result = payment_retry(payment_id=payment.pk)

    assert scheduled == [payment.pk]
    assert again == []
    job = ProcessingJob.objects.get(job_type="retry_failed_payment")
    assert job.queue == "high_priority"
    assert job.params == {"payment_id": payment.pk}
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert payment.next_retry_at is None
    assert result["retried"] is True
    assert result["attempt"] == 2
    reminder = Notification.objects.get(template="commerce/payment_retry")
    assert reminder.context["failure_message"] == "Card declined"


def test_retry_of_an_order_cancelled_meanwhile_does_nothing(user):
    order = order_with_item(user=user, status=OrderStatus.CANCELLED)
    payment = PaymentFactory(order=order, status=PaymentStatus.FAILED, attempts=1)

    result = payment_retry(payment_id=payment.pk)

    assert result["retried"] is False
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED


# --- inventory ledger ------------------------------------------------------------------


def test_inventory_bookkeeping_records_each_movement_once(user):
    product = ProductFactory(stock=3)
    order = order_place(user=user, lines=[OrderLine(product.pk, 3)])

    first = inventory_record(order_id=order.pk, kind="reserved")
    second = inventory_record(order_id=order.pk, kind="reserved")

    movement = StockMovement.objects.get()
    assert (movement.kind, movement.quantity, movement.stock_after) == ("reserved", 3, 0)
    assert first["recorded"] == 1
    assert second["recorded"] == 0
    assert first["sold_out"] == [product.sku]


# --- abandoned carts -------------------------------------------------------------------


def _idle(cart: Cart, hours: float) -> None:
    Cart.objects.filter(pk=cart.pk).update(updated_at=timezone.now() - timedelta(hours=hours))


def test_idle_cart_gets_exactly_one_reminder(settings):
    settings.CART_ABANDONED_AFTER_HOURS = 24
    item = CartItemFactory(product__name="Blue vase", quantity=2)
    _idle(item.cart, 25)

    first = carts_remind_abandoned()
    second = carts_remind_abandoned()

    assert first == [item.cart.pk]
    assert second == []
    mail = Notification.objects.get(template="commerce/cart_reminder")
    assert mail.recipient == item.cart.user.email
    assert mail.context["items"] == [{"name": "Blue vase", "quantity": 2}]
    item.cart.refresh_from_db()
    assert item.cart.reminder_sent_at is not None


def test_recent_and_empty_carts_get_no_reminder(settings):
    settings.CART_ABANDONED_AFTER_HOURS = 24
    recent = CartItemFactory()
    _idle(recent.cart, 2)
    empty = Cart.objects.create(user=UserFactory())
    _idle(empty, 48)

    assert carts_remind_abandoned() == []


def test_cart_changed_after_its_reminder_may_be_reminded_again(settings):
    settings.CART_ABANDONED_AFTER_HOURS = 24
    item = CartItemFactory()
    _idle(item.cart, 48)
    carts_remind_abandoned()
    # the customer came back, changed the cart, and left again
    Cart.objects.filter(pk=item.cart.pk).update(
        reminder_sent_at=timezone.now() - timedelta(hours=40),
        updated_at=timezone.now() - timedelta(hours=30),
    )

    assert carts_remind_abandoned() == [item.cart.pk]
    assert Notification.objects.filter(template="commerce/cart_reminder").count() == 2


# --- daily sales report ----------------------------------------------------------------

DAY = date(2026, 3, 1)


def _paid_order(*, product, quantity: int, paid_at: datetime) -> Order:
    return order_with_item(
        product=product, quantity=quantity, status=OrderStatus.PAID, paid_at=paid_at
    )


def test_daily_report_sums_the_days_paid_orders_with_a_csv_and_emails_staff():
    staff = UserFactory(is_staff=True, email="boss@example.com")
    UserFactory(is_staff=True, email="")  # no address: skipped
    mug = ProductFactory(sku="MUG", name="Mug", price="100.00")
    tee = ProductFactory(sku="TEE", name="Tee", price="350.00")
    noon = datetime(2026, 3, 1, 12, tzinfo=UTC)
    _paid_order(product=mug, quantity=2, paid_at=noon)
    _paid_order(product=tee, quantity=1, paid_at=noon)
    _paid_order(product=mug, quantity=9, paid_at=noon + timedelta(days=1))  # next day
    order_with_item(product=mug, quantity=5)  # unpaid

    report = sales_report_build(day=DAY)

    assert report.orders_count == 2
    assert report.items_count == 3
    assert report.totals == {"TWD": "550.00"}
    assert [(row["sku"], row["quantity"], row["revenue"]) for row in report.rows] == [
        ("TEE", 1, "350.00"),
        ("MUG", 2, "200.00"),
    ]
    with default_storage.open(report.csv_file.name) as stored:
        rows = list(csv.DictReader(io.StringIO(stored.read().decode())))
    assert rows[0] == {
        "sku": "TEE",
        "name": "Tee",
        "currency": "TWD",
        "quantity": "1",
        "revenue": "350.00",
    }
    mails = Notification.objects.filter(template="commerce/daily_sales_report")
    assert [mail.recipient for mail in mails] == [staff.email]
    assert report.emailed_at is not None
    # the email links the report's admin page (sign in), never an expiring media URL
    assert (
        mails[0]
        .context["csv_url"]
        .endswith(f"/admin/commerce/dailysalesreport/{report.pk}/change/")
    )


def test_rerunning_the_report_replaces_it_without_emailing_again(
    django_capture_on_commit_callbacks,
):
    UserFactory(is_staff=True)
    mug = ProductFactory(price="100.00")
    first = sales_report_build(day=DAY)
    first_file = first.csv_file.name
    _paid_order(product=mug, quantity=1, paid_at=datetime(2026, 3, 1, 8, tzinfo=UTC))

    with django_capture_on_commit_callbacks(execute=True):
        second = sales_report_build(day=DAY)

    assert DailySalesReport.objects.count() == 1
    assert second.pk == first.pk
    assert second.orders_count == 1
    assert default_storage.exists(second.csv_file.name)
    assert Notification.objects.filter(template="commerce/daily_sales_report").count() == 1
    if first_file != second.csv_file.name:
        assert not default_storage.exists(first_file)


# --- cleanup ---------------------------------------------------------------------------


def test_streams_ended_before_the_retention_period_are_deleted(settings):
    settings.STREAM_RETENTION_DAYS = 90
    old = LiveStreamFactory(status=StreamStatus.ENDED, ended_at=timezone.now() - timedelta(days=91))
    recent = LiveStreamFactory(
        status=StreamStatus.ENDED, ended_at=timezone.now() - timedelta(days=5)
    )
    live = LiveStreamFactory(status=StreamStatus.LIVE, started_at=timezone.now())

    assert streams_cleanup(dry_run=True) == 1
    assert streams_cleanup() == 1
    assert set(LiveStream.objects.values_list("pk", flat=True)) == {recent.pk, live.pk}
    assert not LiveStream.objects.filter(pk=old.pk).exists()


def test_old_one_time_codes_are_purged():
    now = timezone.now()
    OtpChallenge.objects.create(
        phone="+886900000001", code_hash="x", created_at=now - timedelta(days=2), expires_at=now
    )
    OtpChallenge.objects.create(phone="+886900000002", code_hash="x", expires_at=now)

    assert otp_challenges_purge() == 1
    assert OtpChallenge.objects.count() == 1


def test_payment_factory_defaults_to_the_order_amount():
    payment = PaymentFactory()

    assert payment.amount_minor == payment.order.total_minor
    assert Payment.objects.count() == 1
