"""Stripe webhooks through the API: verified, stored once, processed by a job."""

import json
import time

import pytest

from commerce.models import (
    EventProcessingStatus,
    OrderStatus,
    Payment,
    PaymentEvent,
    PaymentStatus,
    StockState,
)
from commerce.services.payment_events import payment_event_process
from commerce.signals import order_paid
from jobs.models import ProcessingJob
from notifications.models import Notification
from tests.commerce.conftest import post_stripe, stripe_event
from tests.commerce.factories import CustomerProfileFactory, ProductFactory, order_with_item

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(user):
    # 500.00 TWD = 50000 in Stripe's minor units for TWD.
    return order_with_item(product=ProductFactory(price="250.00"), quantity=2, user=user)


def _process_all() -> None:
    """Run every pending event's processing (what the worker does) in this process."""
    for event in PaymentEvent.objects.filter(processing_status=EventProcessingStatus.PENDING):
        payment_event_process(event_id=event.pk)


def test_signed_event_is_stored_and_handed_to_a_high_priority_job(api_client, order):
    response = post_stripe(api_client, stripe_event(order_id=order.pk, amount=50000))

    assert response.status_code == 200
    assert response.data == {"received": True, "duplicate": False}
    event = PaymentEvent.objects.get()
    assert event.provider == "stripe"
    assert event.provider_event_id == "evt_1"
    assert event.signature_verified
    assert event.processing_status == EventProcessingStatus.PENDING
    assert event.order == order
    job = ProcessingJob.objects.get(job_type="process_payment_event")
    assert job.queue == "high_priority"
    assert job.params == {"event_id": event.pk}
    # nothing was processed in the request
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT


def test_succeeded_event_marks_the_order_paid_and_tells_the_customer(api_client, order, user):
    CustomerProfileFactory(user=user, phone="+886912345678")
    received = []

    def on_paid(sender, order, **kwargs) -> None:
        received.append(order.pk)

    order_paid.connect(on_paid)
    try:
        post_stripe(api_client, stripe_event(order_id=order.pk, amount=50000))
        _process_all()
    finally:
        order_paid.disconnect(on_paid)

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.paid_at is not None
    assert order.stock_state == StockState.COMMITTED
    payment = Payment.objects.get(order=order)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert payment.provider_reference == "pi_1"
    assert PaymentEvent.objects.get().processing_status == EventProcessingStatus.PROCESSED
    assert received == [order.pk]
    email = Notification.objects.get(template="commerce/en/order_paid", channel="email")
    assert email.recipient == user.email
    sms = Notification.objects.get(template="commerce/en/order_paid", channel="sms")
    assert sms.recipient == "+886912345678"
    assert ProcessingJob.objects.filter(
        job_type="inventory_bookkeeping", params__kind="committed"
    ).exists()


def test_no_sms_for_customers_without_a_phone(api_client, order):
    post_stripe(api_client, stripe_event(order_id=order.pk, amount=50000))
    _process_all()

    assert not Notification.objects.filter(channel="sms").exists()


def test_duplicate_delivery_is_acknowledged_and_changes_nothing_twice(api_client, order):
    body = stripe_event(order_id=order.pk, amount=50000)

    first = post_stripe(api_client, body)
    second = post_stripe(api_client, body)
    _process_all()
    third = post_stripe(api_client, body)
    _process_all()

    assert first.data["duplicate"] is False
    assert second.status_code == third.status_code == 200
    assert second.data["duplicate"] is True
    assert PaymentEvent.objects.count() == 1
    assert ProcessingJob.objects.filter(job_type="process_payment_event").count() == 1
    assert (
        Notification.objects.filter(template="commerce/en/order_paid", channel="email").count() == 1
    )


def test_two_success_events_for_one_intent_pay_the_order_once(api_client, order):
    post_stripe(api_client, stripe_event(order_id=order.pk, amount=50000, event_id="evt_a"))
    post_stripe(api_client, stripe_event(order_id=order.pk, amount=50000, event_id="evt_b"))
    _process_all()

    statuses = sorted(PaymentEvent.objects.values_list("processing_status", flat=True))
    assert statuses == [EventProcessingStatus.IGNORED, EventProcessingStatus.PROCESSED]
    assert Payment.objects.get().attempts == 1
    assert order.status_changes.filter(to_status=OrderStatus.PAID).count() == 1


def test_failure_arriving_after_success_is_recorded_but_ignored(api_client, order):
    now = int(time.time())
    post_stripe(
        api_client,
        stripe_event(order_id=order.pk, amount=50000, event_id="evt_ok", created=now),
    )
    _process_all()
    post_stripe(
        api_client,
        stripe_event(
            order_id=order.pk,
            amount=50000,
            event_id="evt_old_fail",
            event_type="payment_intent.payment_failed",
            created=now - 30,
        ),
    )
    _process_all()

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED
    late = PaymentEvent.objects.get(provider_event_id="evt_old_fail")
    assert late.processing_status == EventProcessingStatus.IGNORED
    assert "cannot undo" in late.processing_error


def test_success_after_an_older_failure_still_pays(api_client, order):
    now = int(time.time())
    fail = stripe_event(
        order_id=order.pk,
        amount=50000,
        event_id="evt_fail",
        event_type="payment_intent.payment_failed",
        created=now - 60,
    )
    ok = stripe_event(order_id=order.pk, amount=50000, event_id="evt_ok", created=now)
    post_stripe(api_client, ok)
    post_stripe(api_client, fail)
    _process_all()

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID


def test_amount_mismatch_is_flagged_and_never_pays(api_client, order):
    post_stripe(api_client, stripe_event(order_id=order.pk, amount=100))
    _process_all()

    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT
    event = PaymentEvent.objects.get()
    assert event.processing_status == EventProcessingStatus.AMOUNT_MISMATCH
    payment = Payment.objects.get()
    assert payment.flagged
    assert "100" in payment.flag_reason
    assert payment.status == PaymentStatus.PENDING


def test_currency_mismatch_is_flagged_too(api_client, order):
    post_stripe(api_client, stripe_event(order_id=order.pk, amount=50000, currency="usd"))
    _process_all()

    assert PaymentEvent.objects.get().processing_status == EventProcessingStatus.AMOUNT_MISMATCH


def test_failed_payment_schedules_a_retry_while_attempts_remain(api_client, order, settings):
    settings.PAYMENT_RETRY_MAX_ATTEMPTS = 3
    body = stripe_event(order_id=order.pk, amount=50000, event_type="payment_intent.payment_failed")

    post_stripe(api_client, body)
    _process_all()

    order.refresh_from_db()
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_message == "Your card was declined."
    assert payment.next_retry_at is not None
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert Notification.objects.filter(template="commerce/en/order_payment_failed").exists()


def test_last_failed_attempt_marks_the_order_payment_failed(api_client, order, settings):
    settings.PAYMENT_RETRY_MAX_ATTEMPTS = 1
    body = stripe_event(order_id=order.pk, amount=50000, event_type="payment_intent.payment_failed")

    post_stripe(api_client, body)
    _process_all()

    order.refresh_from_db()
    assert order.status == OrderStatus.PAYMENT_FAILED
    assert Payment.objects.get().next_retry_at is None


def test_other_event_types_are_stored_and_acknowledged_without_processing(api_client):
    body = json.dumps(
        {
            "id": "evt_customer",
            "type": "customer.created",
            "created": int(time.time()),
            "data": {"object": {"id": "cus_1"}},
        }
    ).encode()

    response = post_stripe(api_client, body)

    assert response.status_code == 200
    event = PaymentEvent.objects.get()
    assert event.processing_status == EventProcessingStatus.IGNORED
    assert not ProcessingJob.objects.filter(job_type="process_payment_event").exists()


@pytest.mark.parametrize(
    ("secret", "age", "code"),
    [
        ("whsec_wrong", 0, "invalid_signature"),
        (None, 3600, "invalid_signature"),  # signed an hour ago: outside the tolerance
    ],
)
def test_bad_or_stale_signature_is_rejected_and_nothing_is_stored(
    api_client, order, secret, age, code
):
    kwargs = {"timestamp": int(time.time()) - age}
    if secret:
        kwargs["secret"] = secret

    response = post_stripe(api_client, stripe_event(order_id=order.pk, amount=50000), **kwargs)

    assert response.status_code == 400
    assert response.data["code"] == code
    assert not PaymentEvent.objects.exists()
    assert not ProcessingJob.objects.exists()


def test_missing_signature_header_is_rejected(api_client, order):
    response = api_client.generic(
        "POST",
        "/api/v1/webhooks/payments/stripe/",
        stripe_event(order_id=order.pk, amount=50000),
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.data["code"] == "invalid_signature"


def test_malformed_body_is_rejected(api_client):
    response = post_stripe(api_client, b"{not json")

    assert response.status_code == 400
    assert response.data["code"] == "malformed_event"
    assert not PaymentEvent.objects.exists()


def test_unknown_order_is_rejected(api_client):
    response = post_stripe(api_client, stripe_event(order_id=424242, amount=50000))

    assert response.status_code == 400
    assert response.data["code"] == "unknown_order"
    assert not PaymentEvent.objects.exists()


def test_webhook_needs_no_login_and_is_not_throttled(api_client, order):
    responses = [
        post_stripe(api_client, stripe_event(order_id=order.pk, amount=50000, event_id=f"evt_{n}"))
        for n in range(5)
    ]

    assert {r.status_code for r in responses} == {200}


def test_without_a_configured_secret_every_webhook_is_refused(api_client, order, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""

    response = post_stripe(api_client, stripe_event(order_id=order.pk, amount=50000), secret="")

    assert response.status_code == 400
    assert response.data["code"] == "not_configured"
    assert not PaymentEvent.objects.exists()
