"""End to end through a real Celery worker: webhook -> job -> paid order -> email."""

from pathlib import Path

import pytest
from django.conf import settings

from commerce.models import (
    EventProcessingStatus,
    Order,
    OrderStatus,
    PaymentEvent,
    PaymentProvider,
    Refund,
    RefundStatus,
    StockMovement,
)
from commerce.services.orders import OrderLine, order_place
from jobs.models import JobStatus, ProcessingJob
from jobs.services import job_create
from notifications.models import Notification, NotificationStatus
from tests.commerce.conftest import ECPAY_EXAMPLE, post_ecpay, post_stripe, stripe_event
from tests.commerce.factories import PaymentFactory, ProductFactory
from tests.factories import UserFactory
from tests.waiting import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _order_status(order: Order) -> str:
    order.refresh_from_db()
    return order.status


def _mail_containing(text: str) -> bool:
    folder = Path(settings.EMAIL_FILE_PATH)
    return any(text in path.read_text(errors="replace") for path in folder.glob("*.log"))


def test_stripe_webhook_pays_the_order_through_the_worker(live_worker, api_client, user):
    # given an order placed through the service (stock reserved)
    product = ProductFactory(price="250.00", stock=3)
    order = order_place(user=user, lines=[OrderLine(product.pk, 2)])

    # when Stripe reports the PaymentIntent succeeded
    response = post_stripe(api_client, stripe_event(order_id=order.pk, amount=50000))

    # then the answer came before processing, and the worker marks the order paid
    assert response.status_code == 200
    wait_for(lambda: _order_status(order) == OrderStatus.PAID, timeout=60, message="order paid")
    event = PaymentEvent.objects.get()
    assert event.processing_status == EventProcessingStatus.PROCESSED
    job = wait_for(
        lambda: ProcessingJob.objects.filter(
            job_type="process_payment_event", status=JobStatus.COMPLETED
        ).first(),
        timeout=30,
        message="event job completed",
    )
    assert job.worker == live_worker.hostname
    # the ledger and the confirmation email follow in their own jobs
    wait_for(
        lambda: StockMovement.objects.filter(order=order, kind="committed").exists(),
        timeout=60,
        message="sale in the ledger",
    )
    wait_for(
        lambda: Notification.objects.filter(
            template="commerce/en/order_paid", status=NotificationStatus.SENT
        ).exists(),
        timeout=60,
        message="confirmation sent",
    )
    assert _mail_containing(order.number)


def test_ecpay_example_pays_the_order_through_the_worker(live_worker, api_client, user):
    product = ProductFactory(price="500.00", stock=1)
    order = order_place(user=user, lines=[OrderLine(product.pk, 1)])
    PaymentFactory(
        order=order, provider=PaymentProvider.ECPAY, provider_reference="WPLL4E341E122DB44D62"
    )

    response = post_ecpay(api_client, ECPAY_EXAMPLE)

    assert response.content == b"1|OK"
    wait_for(lambda: _order_status(order) == OrderStatus.PAID, timeout=60, message="order paid")


def test_expiry_job_cancels_overdue_orders_through_the_worker(live_worker, user):
    product = ProductFactory(stock=2)
    order = order_place(user=user, lines=[OrderLine(product.pk, 2)])
    Order.objects.filter(pk=order.pk).update(payment_due_at=order.created_at)

    job = job_create(job_type="expire_unpaid_orders")

    wait_for(lambda: _order_status(order) == OrderStatus.CANCELLED, timeout=60, message="expired")
    wait_for(
        lambda: ProcessingJob.objects.get(pk=job.pk).status == JobStatus.COMPLETED,
        timeout=30,
        message="expiry job completed",
    )
    product.refresh_from_db()
    assert product.stock == 2
    assert ProcessingJob.objects.get(pk=job.pk).result["expired"] == 1


def test_ecpay_refund_is_marked_for_the_console_by_the_worker(live_worker, api_client, user):
    # given an order ECPay paid, through the worker
    product = ProductFactory(price="500.00", stock=1)
    order = order_place(user=user, lines=[OrderLine(product.pk, 1)])
    PaymentFactory(
        order=order, provider=PaymentProvider.ECPAY, provider_reference="WPLL4E341E122DB44D62"
    )
    post_ecpay(api_client, ECPAY_EXAMPLE)
    wait_for(lambda: _order_status(order) == OrderStatus.PAID, timeout=60, message="order paid")

    # when staff refund it
    api_client.force_authenticate(UserFactory(is_staff=True))
    response = api_client.post(f"/api/v1/orders/{order.pk}/refund/", {}, format="json")

    # then the refund job marks it for ECPay's merchant console
    assert response.status_code == 202, response.data
    refund = Refund.objects.get(pk=response.data["id"])
    wait_for(
        lambda: (refund.refresh_from_db(), refund.status)[1] == RefundStatus.MANUAL,
        timeout=60,
        message="refund marked for the console",
    )
    assert "WPLL4E341E122DB44D62" in refund.note
    assert _order_status(order) == OrderStatus.PAID
