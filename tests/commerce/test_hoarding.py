"""Stock can't be hoarded or peeked at: what customers see and what errors tell them."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from commerce.services.orders import orders_expire
from tests.commerce.factories import CartFactory, CartItemFactory, ProductFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def _stock_seen(client, product) -> int:
    return client.get(f"/api/v1/products/{product.pk}/").data["stock"]


def test_customers_see_the_stock_left_after_unpaid_orders_hold_theirs(
    user_client, other_user, settings
):
    product = ProductFactory(stock=12)
    hoarder = APIClient()
    hoarder.force_authenticate(other_user)

    placed = [
        hoarder.post(ORDERS, {"items": [{"product": product.pk, "quantity": 4}]})
        for _ in range(settings.ORDERS_MAX_UNPAID_PER_USER + 1)
    ]

    assert [r.status_code for r in placed] == [201] * settings.ORDERS_MAX_UNPAID_PER_USER + [429]
    assert _stock_seen(user_client, product) == 0
    refused = user_client.post(ORDERS, {"items": [{"product": product.pk, "quantity": 1}]})
    assert refused.status_code == 409
    assert "0 available" in refused.data["detail"]
    # held stock comes back when the unpaid orders are cancelled or expire
    hoarder.post(f"{ORDERS}{placed[0].data['id']}/cancel/")
    assert _stock_seen(user_client, product) == 4
    orders_expire(
        now=timezone.now() + timedelta(minutes=settings.ORDER_PAYMENT_TIMEOUT_MINUTES + 1)
    )
    assert _stock_seen(user_client, product) == 12


def test_an_inactive_products_name_and_sku_never_reach_a_customer(user_client, user, settings):
    product = ProductFactory(active=False, stock=100, name="Secret prototype", sku="PROTO-X")
    in_cart = ProductFactory(stock=100, name="Soon secret", sku="SOON-1")
    cart = CartFactory(user=user)
    CartItemFactory(cart=cart, product=in_cart, quantity=1)
    in_cart.active = False
    in_cart.save()

    answers = [
        user_client.post(ORDERS, {"items": [{"product": product.pk, "quantity": 1}]}),
        user_client.post(
            ORDERS,
            {
                "items": [
                    {"product": product.pk, "quantity": settings.ORDER_MAX_QUANTITY_PER_LINE + 5}
                ]
            },
        ),
        user_client.post(f"/api/v1/carts/{cart.pk}/items/", {"product": product.pk}),
        user_client.post(ORDERS, {"cart": cart.pk}),
        user_client.get(f"/api/v1/products/{product.pk}/"),
    ]

    assert [a.status_code for a in answers] == [409, 409, 409, 409, 404]
    for answer in answers:
        text = str(answer.data)
        for secret in ("Secret prototype", "PROTO-X", "Soon secret", "SOON-1"):
            assert secret not in text
    assert "is not for sale" in answers[0].data["detail"]
