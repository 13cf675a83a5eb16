"""Order quotas: unpaid orders per user and quantity per line answer 429."""

import pytest

from commerce.models import Order, OrderStatus
from tests.commerce.factories import ProductFactory

pytestmark = pytest.mark.django_db


def _place(client, product, quantity=1):
    return client.post(
        "/api/v1/orders/", {"items": [{"product": product.pk, "quantity": quantity}]}
    )


def test_unpaid_orders_of_a_user_are_capped(user_client, settings):
    settings.ORDERS_MAX_UNPAID_PER_USER = 2
    product = ProductFactory(stock=100)
    assert [_place(user_client, product).status_code for _ in range(2)] == [201, 201]

    response = _place(user_client, product)

    assert response.status_code == 429
    assert "2 orders awaiting payment" in response.json()["detail"]
    # paying or cancelling one frees a slot
    Order.objects.filter(status=OrderStatus.PENDING_PAYMENT).first().delete()
    assert _place(user_client, product).status_code == 201


def test_the_quantity_of_one_order_line_is_capped(user_client, settings):
    product = ProductFactory(stock=100, name="Mug")

    response = _place(user_client, product, quantity=settings.ORDER_MAX_QUANTITY_PER_LINE + 1)

    assert response.status_code == 429
    assert "At most 10 of one product per order" in response.json()["detail"]
    assert _place(user_client, product, quantity=10).status_code == 201


def test_staff_are_not_held_to_the_order_quotas(staff_client, settings):
    settings.ORDERS_MAX_UNPAID_PER_USER = 1
    product = ProductFactory(stock=100)

    codes = [_place(staff_client, product, quantity=20).status_code for _ in range(2)]

    assert codes == [201, 201]
