"""POST /api/v1/orders/{id}/refund/: staff only, paid orders only, never more than was paid."""

import pytest

from commerce.models import (
    OrderStatus,
    PaymentEvent,
    PaymentStatus,
    Product,
    Refund,
    RefundStatus,
)
from commerce.services.orders import OrderLine, order_place
from commerce.services.payment_events import payment_event_process
from commerce.services.refunds import refund_confirm_manual
from tests.commerce.conftest import ECPAY_EXAMPLE, ecpay_params, post_ecpay, run_jobs
from tests.commerce.factories import PaymentFactory, ProductFactory, order_with_item

pytestmark = pytest.mark.django_db


def _refund(client, order, **body):
    return client.post(f"/api/v1/orders/{order.pk}/refund/", body, format="json")


def test_customers_cannot_refund_even_their_own_orders(user_client, user):
    order = order_with_item(user=user, status=OrderStatus.PAID)
    PaymentFactory(order=order, status=PaymentStatus.SUCCEEDED)

    response = _refund(user_client, order)

    assert response.status_code == 403
    assert not Refund.objects.exists()


def test_unpaid_order_cannot_be_refunded(staff_client):
    order = order_with_item()

    response = _refund(staff_client, order)

    assert response.status_code == 409
    assert "only paid or fulfilled" in response.data["detail"]


@pytest.mark.parametrize("amount", ["0", "-5", "12.345", "abc"])
def test_bad_amounts_are_400s(staff_client, amount):
    order = order_with_item(status=OrderStatus.PAID)
    PaymentFactory(order=order, status=PaymentStatus.SUCCEEDED)

    response = _refund(staff_client, order, amount=amount)

    assert response.status_code == 400, response.data
    assert not Refund.objects.exists()


def test_ecpay_refund_is_marked_for_the_console_and_confirmed_returns_the_stock(
    api_client, staff_user, user
):
    # given an order paid through ECPay's notification
    product = ProductFactory(price="250.00", stock=5)
    order = order_place(user=user, lines=[OrderLine(product.pk, 2)])
    PaymentFactory(
        order=order, provider="ecpay", provider_reference=ECPAY_EXAMPLE["MerchantTradeNo"]
    )
    post_ecpay(api_client, ecpay_params())
    payment_event_process(event_id=PaymentEvent.objects.get().pk)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    api_client.force_authenticate(staff_user)

    response = _refund(api_client, order, reason="Damaged in transit")
    run_jobs("refund_payment")

    assert response.status_code == 202, response.data
    refund = Refund.objects.get()
    assert refund.status == RefundStatus.MANUAL
    assert ECPAY_EXAMPLE["MerchantTradeNo"] in refund.note
    assert Product.objects.get(pk=product.pk).stock == 3

    refund_confirm_manual(refund=refund, by=staff_user)

    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert Product.objects.get(pk=product.pk).stock == 5
    # a second refund of the same order is refused
    assert _refund(api_client, order).status_code == 409


def test_fulfilled_order_refund_leaves_stock_alone(staff_client, staff_user, user):
    product = ProductFactory(price="250.00", stock=5)
    order = order_place(user=user, lines=[OrderLine(product.pk, 1)])
    order.status, order.stock_state = OrderStatus.FULFILLED, "committed"
    order.fulfilled_at = order.created_at
    order.save()
    PaymentFactory(order=order, status=PaymentStatus.SUCCEEDED, provider="ecpay")

    _refund(staff_client, order)
    run_jobs("refund_payment")
    refund_confirm_manual(refund=Refund.objects.get(), by=staff_user)

    order.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    # the goods left with the customer: staff count them back in when they return
    assert Product.objects.get(pk=product.pk).stock == 4
