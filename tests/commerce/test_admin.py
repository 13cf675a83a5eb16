"""The commerce admin: lists render, and actions go through the services."""

import pytest
from django.urls import reverse

from commerce.models import Order, OrderStatus, PaymentStatus, Refund, RefundStatus
from commerce.services.orders import OrderLine, order_place
from tests.commerce.conftest import run_jobs
from tests.commerce.factories import (
    CartItemFactory,
    LiveStreamFactory,
    PaymentFactory,
    ProductFactory,
    order_with_item,
)

pytestmark = pytest.mark.django_db

MODELS = [
    "product",
    "stockmovement",
    "cart",
    "customerprofile",
    "otpchallenge",
    "order",
    "payment",
    "paymentevent",
    "refund",
    "livestream",
    "dailysalesreport",
]


@pytest.mark.parametrize("model", MODELS)
def test_every_commerce_list_renders(admin_client, model):
    CartItemFactory()
    PaymentFactory(order=order_with_item())
    LiveStreamFactory()

    response = admin_client.get(reverse(f"admin:commerce_{model}_changelist"))

    assert response.status_code == 200


def test_order_page_renders_with_items_payments_and_history(admin_client):
    order = order_with_item()
    PaymentFactory(order=order)

    response = admin_client.get(reverse("admin:commerce_order_change", args=[order.pk]))

    assert response.status_code == 200


def _act(admin_client, action: str, *orders: Order):
    return admin_client.post(
        reverse("admin:commerce_order_changelist"),
        {"action": action, "_selected_action": [o.pk for o in orders]},
        follow=True,
    )


def test_fulfil_action_moves_paid_orders_and_reports_the_others(admin_client):
    paid = order_with_item(status=OrderStatus.PAID)
    unpaid = order_with_item()

    response = _act(admin_client, "mark_fulfilled", paid, unpaid)

    paid.refresh_from_db()
    unpaid.refresh_from_db()
    assert paid.status == OrderStatus.FULFILLED
    assert unpaid.status == OrderStatus.PENDING_PAYMENT
    assert unpaid.number in response.content.decode()


def test_cancel_action_returns_stock(admin_client, user):
    product = ProductFactory(stock=3)
    order = order_place(user=user, lines=[OrderLine(product.pk, 2)])

    _act(admin_client, "cancel_orders", order)

    order.refresh_from_db()
    product.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert product.stock == 3


def test_refund_action_refunds_through_the_same_service_as_the_api(admin_client):
    order = order_with_item(status=OrderStatus.PAID)
    payment = PaymentFactory(
        order=order, status=PaymentStatus.SUCCEEDED, provider="ecpay", provider_reference="RHX1"
    )

    _act(admin_client, "mark_refunded", order)
    [job] = run_jobs("refund_payment")

    refund = Refund.objects.get(order=order)
    assert refund.amount_minor == order.total_minor
    assert job.status == "completed"
    refund.refresh_from_db()
    assert refund.status == RefundStatus.MANUAL
    assert "merchant console" in refund.note
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID

    # when staff confirm they refunded it in ECPay's console
    response = admin_client.post(
        reverse("admin:commerce_refund_changelist"),
        {"action": "confirm_manual", "_selected_action": [refund.pk]},
    )

    assert response.status_code == 302
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.REFUNDED
    assert payment.status == PaymentStatus.REFUNDED
