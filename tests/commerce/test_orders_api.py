"""Placing, listing and cancelling orders through the API; stock is reserved and released."""

from decimal import Decimal

import pytest

from commerce.models import Order, OrderStatus, Product, StockState
from jobs.models import ProcessingJob
from notifications.models import Notification
from tests.commerce.factories import CartItemFactory, ProductFactory

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def _stock(product: Product) -> int:
    product.refresh_from_db()
    return product.stock


def test_placing_an_order_reserves_stock_and_captures_prices(user_client, user):
    # given
    mug = ProductFactory(name="Mug", price=Decimal("12.50"), stock=5)
    tee = ProductFactory(name="Tee", price=Decimal("300.00"), stock=2)

    # when
    response = user_client.post(
        ORDERS,
        {"items": [{"product": mug.pk, "quantity": 2}, {"product": tee.pk, "quantity": 1}]},
        format="json",
    )

    # then
    assert response.status_code == 201, response.data
    body = response.data
    assert body["status"] == "pending_payment"
    assert body["total"] == "325.00"
    assert body["currency"] == "TWD"
    assert {item["sku"]: item["unit_price"] for item in body["items"]} == {
        mug.sku: "12.50",
        tee.sku: "300.00",
    }
    assert _stock(mug) == 3
    assert _stock(tee) == 1
    # a later price change does not touch the order
    Product.objects.filter(pk=mug.pk).update(price=Decimal("99.00"))
    assert user_client.get(f"{ORDERS}{body['id']}/").data["total"] == "325.00"


def test_placing_an_order_emails_a_confirmation_and_starts_inventory_bookkeeping(user_client, user):
    product = ProductFactory(stock=3)

    response = user_client.post(
        ORDERS, {"items": [{"product": product.pk, "quantity": 1}]}, format="json"
    )

    order = Order.objects.get(pk=response.data["id"])
    mail = Notification.objects.get(template="commerce/en/order_placed")
    assert mail.recipient == user.email
    assert mail.context["order_number"] == order.number
    job = ProcessingJob.objects.get(job_type="inventory_bookkeeping")
    assert job.params == {"order_id": order.pk, "kind": "reserved"}
    assert job.queue == "high_priority"


def test_not_enough_stock_answers_409_naming_the_product_and_takes_nothing(user_client):
    plenty = ProductFactory(stock=10)
    scarce = ProductFactory(name="Limited print", sku="PRINT-1", stock=1)

    response = user_client.post(
        ORDERS,
        {"items": [{"product": plenty.pk, "quantity": 2}, {"product": scarce.pk, "quantity": 2}]},
        format="json",
    )

    assert response.status_code == 409
    assert response.data["code"] == "insufficient_stock"
    assert "Limited print" in response.data["detail"]
    assert "PRINT-1" in response.data["detail"]
    assert _stock(plenty) == 10
    assert _stock(scarce) == 1
    assert not Order.objects.exists()


def test_unknown_product_or_empty_order_is_a_clear_400(user_client):
    unknown = user_client.post(
        ORDERS, {"items": [{"product": 999999, "quantity": 1}]}, format="json"
    )
    empty = user_client.post(ORDERS, {"items": []}, format="json")
    both = user_client.post(ORDERS, {}, format="json")

    assert unknown.status_code == 400
    assert "999999" in unknown.data["detail"]
    assert empty.status_code == 400
    assert both.status_code == 400


def test_inactive_product_cannot_be_ordered(user_client):
    product = ProductFactory(active=False, stock=5)

    response = user_client.post(
        ORDERS, {"items": [{"product": product.pk, "quantity": 1}]}, format="json"
    )

    assert response.status_code == 409
    assert "not for sale" in response.data["detail"]


def test_ordering_from_a_cart_empties_the_cart(user_client, user):
    item = CartItemFactory(cart__user=user, quantity=3, product__stock=4)

    response = user_client.post(ORDERS, {"cart": item.cart.pk}, format="json")

    assert response.status_code == 201, response.data
    assert response.data["items"][0]["quantity"] == 3
    assert not item.cart.items.exists()
    assert _stock(item.product) == 1


def test_someone_elses_cart_cannot_be_ordered(user_client, other_user):
    item = CartItemFactory(cart__user=other_user)

    response = user_client.post(ORDERS, {"cart": item.cart.pk}, format="json")

    assert response.status_code == 400
    assert item.cart.items.exists()


def test_cancelling_an_unpaid_order_releases_its_stock_once(user_client):
    product = ProductFactory(stock=5)
    order_id = user_client.post(
        ORDERS, {"items": [{"product": product.pk, "quantity": 2}]}, format="json"
    ).data["id"]

    first = user_client.post(f"{ORDERS}{order_id}/cancel/")
    second = user_client.post(f"{ORDERS}{order_id}/cancel/")

    assert first.status_code == 200
    assert first.data["status"] == "cancelled"
    assert [c["to_status"] for c in first.data["status_history"]] == [
        "pending_payment",
        "cancelled",
    ]
    assert second.status_code == 409
    assert _stock(product) == 5
    assert Order.objects.get(pk=order_id).stock_state == StockState.RELEASED


def test_paid_order_cannot_be_cancelled_by_the_customer(user_client):
    product = ProductFactory(stock=5)
    order_id = user_client.post(
        ORDERS, {"items": [{"product": product.pk, "quantity": 1}]}, format="json"
    ).data["id"]
    Order.objects.filter(pk=order_id).update(status=OrderStatus.PAID)

    response = user_client.post(f"{ORDERS}{order_id}/cancel/")

    assert response.status_code == 409
    assert "unpaid" in response.data["detail"]
    assert _stock(product) == 4


def test_customers_see_only_their_own_orders(user_client, api_client, other_user):
    product = ProductFactory()
    api_client.force_authenticate(other_user)
    theirs = api_client.post(
        ORDERS, {"items": [{"product": product.pk, "quantity": 1}]}, format="json"
    ).data["id"]

    listing = user_client.get(ORDERS)
    detail = user_client.get(f"{ORDERS}{theirs}/")
    cancel = user_client.post(f"{ORDERS}{theirs}/cancel/")

    assert listing.data["count"] == 0
    assert detail.status_code == 404
    assert cancel.status_code == 404


def test_staff_see_every_order(staff_client, user_client):
    product = ProductFactory()
    user_client.post(ORDERS, {"items": [{"product": product.pk, "quantity": 1}]}, format="json")

    assert staff_client.get(ORDERS).data["count"] == 1


def test_orders_need_authentication(api_client):
    assert api_client.get(ORDERS).status_code in (401, 403)
