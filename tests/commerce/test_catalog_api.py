"""Products (staff write, users read) and carts (own) through the API."""

from decimal import Decimal

import pytest

from commerce.models import Product
from commerce.services.orders import OrderLine, order_place
from tests.commerce.factories import CartFactory, ProductFactory

pytestmark = pytest.mark.django_db

PRODUCTS = "/api/v1/products/"
CARTS = "/api/v1/carts/"


def test_products_are_listed_with_prices_as_decimal_strings(user_client):
    ProductFactory(sku="MUG-1", name="Mug", price=Decimal("12.5"), stock=4)

    response = user_client.get(PRODUCTS)

    assert response.status_code == 200
    assert response.data["results"][0] | {"id": None} == {
        "id": None,
        "sku": "MUG-1",
        "name": "Mug",
        "price": "12.50",
        "currency": "TWD",
        "stock": 4,
        "active": True,
    }


def test_customers_do_not_see_products_off_sale(user_client, staff_client):
    ProductFactory(active=False)

    assert user_client.get(PRODUCTS).data["count"] == 0
    assert staff_client.get(PRODUCTS).data["count"] == 1


def test_staff_create_and_change_products(staff_client):
    created = staff_client.post(
        PRODUCTS,
        {"sku": "TEE-1", "name": "Tee", "price": "300.00", "currency": "twd", "stock": 7},
        format="json",
    )
    changed = staff_client.patch(f"{PRODUCTS}{created.data['id']}/", {"stock": 9}, format="json")

    assert created.status_code == 201, created.data
    assert created.data["currency"] == "TWD"
    assert changed.status_code == 200
    assert Product.objects.get(sku="TEE-1").stock == 9


def test_duplicate_sku_or_bad_currency_is_a_400(staff_client):
    ProductFactory(sku="DUP")

    duplicate = staff_client.post(
        PRODUCTS, {"sku": "DUP", "name": "x", "price": "1.00"}, format="json"
    )
    bad_currency = staff_client.post(
        PRODUCTS, {"sku": "NEW", "name": "x", "price": "1.50", "currency": "JPY"}, format="json"
    )

    assert duplicate.status_code == 400
    assert "DUP" in duplicate.data["detail"]
    assert bad_currency.status_code == 400
    assert "decimal places" in bad_currency.data["detail"]


def test_customers_cannot_write_products(user_client):
    response = user_client.post(PRODUCTS, {"sku": "X", "name": "x", "price": "1.00"}, format="json")

    assert response.status_code == 403


def test_cart_items_can_be_added_changed_and_removed(user_client):
    product = ProductFactory(price=Decimal("10.00"))
    cart_id = user_client.post(CARTS).data["id"]

    added = user_client.post(
        f"{CARTS}{cart_id}/items/", {"product": product.pk, "quantity": 2}, format="json"
    )
    added_again = user_client.post(
        f"{CARTS}{cart_id}/items/", {"product": product.pk, "quantity": 1}, format="json"
    )
    changed = user_client.patch(
        f"{CARTS}{cart_id}/items/{product.pk}/", {"quantity": 5}, format="json"
    )
    removed = user_client.delete(f"{CARTS}{cart_id}/items/{product.pk}/")
    removed_again = user_client.delete(f"{CARTS}{cart_id}/items/{product.pk}/")

    assert added.status_code == 200, added.data
    assert added.data["total"] == "20.00"
    assert added_again.data["items"][0]["quantity"] == 3
    assert changed.data["items"][0]["quantity"] == 5
    assert changed.data["total"] == "50.00"
    assert removed.status_code == 204
    assert removed_again.status_code == 404
    assert user_client.get(f"{CARTS}{cart_id}/").data["items"] == []


def test_cart_changes_bump_its_updated_at(user_client, user):
    cart = CartFactory(user=user)
    before = cart.updated_at

    user_client.post(f"{CARTS}{cart.pk}/items/", {"product": ProductFactory().pk}, format="json")

    cart.refresh_from_db()
    assert cart.updated_at > before


def test_someone_elses_cart_is_not_found(user_client, other_user):
    cart = CartFactory(user=other_user)

    assert user_client.get(f"{CARTS}{cart.pk}/").status_code == 404
    response = user_client.post(
        f"{CARTS}{cart.pk}/items/", {"product": ProductFactory().pk}, format="json"
    )
    assert response.status_code == 404


def test_product_off_sale_cannot_go_in_a_cart(user_client):
    cart_id = user_client.post(CARTS).data["id"]

    response = user_client.post(
        f"{CARTS}{cart_id}/items/", {"product": ProductFactory(active=False).pk}, format="json"
    )

    assert response.status_code == 409


def test_ordered_products_cannot_be_deleted_only_taken_off_sale(staff_client, user):
    ordered = ProductFactory()
    order_place(user=user, lines=[OrderLine(ordered.pk, 1)])
    unused = ProductFactory()

    refused = staff_client.delete(f"{PRODUCTS}{ordered.pk}/")
    deleted = staff_client.delete(f"{PRODUCTS}{unused.pk}/")

    assert refused.status_code == 409
    assert "active to false" in refused.data["detail"]
    assert deleted.status_code == 204
    assert list(Product.objects.values_list("pk", flat=True)) == [ordered.pk]
