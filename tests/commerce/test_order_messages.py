"""What customers are told about their orders: SMS when they have a phone, email when they
have an address, in their language."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.template.loader import render_to_string
from django.utils import timezone

from commerce.models import OrderStatus, PaymentStatus
from commerce.services.orders import (
    OrderLine,
    order_cancel,
    order_fulfil,
    order_place,
    orders_expire,
)
from commerce.services.refunds import refund_confirm_manual, refund_request
from notifications.models import Notification
from tests.commerce.conftest import run_jobs
from tests.commerce.factories import CustomerProfileFactory, PaymentFactory, ProductFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _messages(order) -> list[tuple[str, str]]:
    rows = Notification.objects.filter(
        related_content_type=ContentType.objects.get_for_model(order),
        related_object_id=str(order.pk),
    ).order_by("pk")
    return [(n.channel, n.template) for n in rows]


@pytest.fixture
def customer():
    user = UserFactory(email="mei@example.com")
    CustomerProfileFactory(user=user, phone="+886912345678")
    return user


@pytest.fixture
def product():
    return ProductFactory(price="250.00", stock=10)


def test_every_status_a_customer_cares_about_is_texted_and_emailed(customer, product, staff_user):
    fulfilled = order_place(user=customer, lines=[OrderLine(product.pk, 1)])
    cancelled = order_place(user=customer, lines=[OrderLine(product.pk, 1)])
    expired = order_place(user=customer, lines=[OrderLine(product.pk, 1)])

    fulfilled.status, fulfilled.stock_state = OrderStatus.PAID, "committed"
    fulfilled.save()
    PaymentFactory(order=fulfilled, status=PaymentStatus.SUCCEEDED, provider="ecpay")
    order_fulfil(order=fulfilled)
    refund_request(order=fulfilled, by=staff_user)
    run_jobs("refund_payment")
    refund_confirm_manual(refund=fulfilled.refunds.get(), by=staff_user)
    order_cancel(order=cancelled)
    orders_expire(now=timezone.now() + timedelta(days=1))

    both = [("email", "commerce/en/order_{}"), ("sms", "commerce/en/order_{}")]
    assert _messages(fulfilled)[1:] == [
        (channel, template.format(event))
        for event in ("fulfilled", "refunded")
        for channel, template in both
    ]
    assert _messages(cancelled)[1:] == [(c, t.format("cancelled")) for c, t in both]
    assert _messages(expired)[1:] == [(c, t.format("expired")) for c, t in both]


def test_phone_only_customers_get_their_order_confirmation_by_sms(product):
    user = UserFactory(email="")
    CustomerProfileFactory(user=user, phone="+886911111111")

    order = order_place(user=user, lines=[OrderLine(product.pk, 2)])

    [sms] = Notification.objects.filter(template__contains="order_placed")
    assert (sms.channel, sms.recipient) == ("sms", "+886911111111")
    assert sms.template == "commerce/en/order_placed"
    text = render_to_string(f"sms/{sms.template}.txt", sms.context)
    assert order.number in text
    assert "500.00 TWD" in text


def test_messages_are_in_the_language_the_profile_says(product):
    user = UserFactory(email="lin@example.com")
    CustomerProfileFactory(user=user, phone="+886922222222", language="zh-hant")

    order = order_place(user=user, lines=[OrderLine(product.pk, 1)])
    order_cancel(order=order)

    email, sms = Notification.objects.filter(template__endswith="order_cancelled").order_by(
        "channel"
    )
    assert email.template == sms.template == "commerce/zh-hant/order_cancelled"
    subject = render_to_string(f"emails/{email.template}.subject.txt", email.context)
    assert f"訂單 {order.number} 已取消" in subject
    assert "未向您收取任何費用" in render_to_string(f"sms/{sms.template}.txt", sms.context)


@pytest.mark.parametrize("language", ["en", "zh-hant"])
@pytest.mark.parametrize(
    "event",
    ["placed", "paid", "payment_failed", "fulfilled", "cancelled", "expired", "refunded"],
)
def test_every_order_message_has_both_templates_in_both_languages(language, event):
    context = {
        "order_number": "RH1",
        "total": "12.50",
        "currency": "TWD",
        "payment_due_at": "2026-12-01T10:00:00+00:00",
        "items": [{"name": "Mug", "sku": "M1", "quantity": 1, "line_total": "12.50"}],
        "site_url": "https://shop.example.com",
        "retrying": True,
    }
    name = f"commerce/{language}/order_{event}"
    for path in (f"emails/{name}.txt", f"emails/{name}.subject.txt", f"sms/{name}.txt"):
        text = render_to_string(path, context)
        assert "RH1" in text, path
