"""A Stripe payment from start to refund against localstripe, a Stripe-compatible server.

create PaymentIntent (pay) -> the customer confirms it (Stripe's client, as Stripe.js
would) -> Stripe's signed webhook -> paid -> staff refund (job, Refund API) -> refunded.
"""

import json
import time

import pytest

from commerce.models import (
    OrderStatus,
    Payment,
    PaymentStatus,
    Product,
    Refund,
    RefundStatus,
    StockState,
)
from commerce.services.orders import OrderLine, order_place
from jobs.models import JobStatus
from tests.commerce.conftest import post_stripe, run_jobs
from tests.commerce.factories import ProductFactory
from tests.commerce.localstripe import customer_confirms, retrieve_charge, retrieve_intent

pytestmark = pytest.mark.django_db


def _event(event_type: str, obj: dict, event_id: str) -> bytes:
    """Wrap a Stripe object in an event, as Stripe's webhook sends it."""
    body = {
        "id": event_id,
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "data": {"object": obj},
    }
    return json.dumps(body).encode()


@pytest.fixture
def product():
    return ProductFactory(price="250.00", stock=5)


@pytest.fixture
def order(user, product):
    return order_place(user=user, lines=[OrderLine(product.pk, 2)])


def _pay_and_confirm(user_client, api_client, order, base: str) -> str:
    started = user_client.post(
        f"/api/v1/orders/{order.pk}/pay/", {"provider": "stripe"}, format="json"
    )
    assert started.status_code == 201, started.data
    intent_id = started.data["stripe"]["payment_intent"]
    assert customer_confirms(base, intent_id).status == "succeeded"
    intent = retrieve_intent(base, intent_id)
    delivered = post_stripe(
        api_client, _event("payment_intent.succeeded", intent, f"evt_paid_{intent_id}")
    )
    assert delivered.status_code == 200, delivered.data
    run_jobs("process_payment_event")
    return intent_id


def test_payment_round_trip_create_confirm_webhook_paid_refund_refunded(
    user_client, api_client, staff_client, order, product, stripe_api_settings
):
    base = stripe_api_settings
    assert Product.objects.get(pk=product.pk).stock == 3

    intent_id = _pay_and_confirm(user_client, api_client, order, base)

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert order.stock_state == StockState.COMMITTED
    payment = Payment.objects.get(order=order)
    assert payment.provider_reference == intent_id
    assert payment.status == PaymentStatus.SUCCEEDED

    # when staff refund the whole order
    response = staff_client.post(f"/api/v1/orders/{order.pk}/refund/", {}, format="json")

    assert response.status_code == 202, response.data
    assert response.data["amount"] == "500.00"
    assert response.data["status"] == RefundStatus.PENDING
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID  # nothing changes before the provider confirms
    [job] = run_jobs("refund_payment")
    assert job.status == JobStatus.COMPLETED, job.error

    # then Stripe refunded the charge and the order is refunded, its stock back on sale
    refund = Refund.objects.get(pk=response.data["id"])
    assert refund.status == RefundStatus.SUCCEEDED
    assert refund.provider_reference.startswith("re_")
    charge = retrieve_charge(base, retrieve_intent(base, intent_id)["latest_charge"]["id"])
    assert charge["amount_refunded"] == 50000
    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert order.refunded_at is not None
    assert Payment.objects.get(pk=payment.pk).status == PaymentStatus.REFUNDED
    assert Product.objects.get(pk=product.pk).stock == 5

    # and Stripe's charge.refunded webhook that follows changes nothing more
    post_stripe(api_client, _event("charge.refunded", charge, f"evt_refunded_{charge['id']}"))
    run_jobs("process_payment_event")
    assert Refund.objects.filter(order=order).count() == 1
    assert Product.objects.get(pk=product.pk).stock == 5


def test_partial_refund_keeps_the_order_paid_until_stripe_says_the_rest_went_back(
    user_client, api_client, staff_client, order, stripe_api_settings
):
    base = stripe_api_settings
    intent_id = _pay_and_confirm(user_client, api_client, order, base)

    response = staff_client.post(
        f"/api/v1/orders/{order.pk}/refund/", {"amount": "100.00"}, format="json"
    )
    run_jobs("refund_payment")

    assert response.status_code == 202, response.data
    assert Refund.objects.get().status == RefundStatus.SUCCEEDED
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    # asking for more than is left is refused with what is left
    too_much = staff_client.post(
        f"/api/v1/orders/{order.pk}/refund/", {"amount": "450.00"}, format="json"
    )
    assert too_much.status_code == 400
    assert "400.00" in too_much.data["detail"]

    # when the rest is refunded in Stripe's dashboard, its webhook completes the refund
    charge = retrieve_charge(base, retrieve_intent(base, intent_id)["latest_charge"]["id"])
    charge["amount_refunded"] = 50000
    charge["refunded"] = True
    charge["refunds"] = {"object": "list", "data": []}
    post_stripe(api_client, _event("charge.refunded", charge, "evt_dashboard_refund"))
    run_jobs("process_payment_event")

    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert sorted(Refund.objects.values_list("amount_minor", flat=True)) == [10000, 40000]


def test_stripe_refusing_a_refund_fails_the_refund_with_its_reason(
    user_client, api_client, staff_client, order, stripe_api_settings, settings
):
    _pay_and_confirm(user_client, api_client, order, stripe_api_settings)
    Payment.objects.filter(order=order).update(provider_reference="pi_doesnotexist")

    staff_client.post(f"/api/v1/orders/{order.pk}/refund/", {}, format="json")
    [job] = run_jobs("refund_payment")

    assert job.status == JobStatus.FAILED
    refund = Refund.objects.get()
    assert refund.status == RefundStatus.FAILED
    assert "Stripe refused" in refund.note
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
