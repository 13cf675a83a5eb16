"""Reads for the API: what each user may see, with the rows serializers need."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, QuerySet

from commerce.models import Cart, CartItem, LiveStream, Order, Payment, Product


def products_visible_to(user: AbstractBaseUser) -> QuerySet[Product]:
    """Staff see every product; customers the ones for sale."""
    products = Product.objects.all()
    return products if user.is_staff else products.filter(active=True)


def carts_of(user: AbstractBaseUser) -> QuerySet[Cart]:
    return Cart.objects.filter(user=user).prefetch_related(
        Prefetch("items", queryset=CartItem.objects.select_related("product"))
    )


def orders_visible_to(user: AbstractBaseUser) -> QuerySet[Order]:
    """Own orders; staff see all."""
    orders = Order.objects.all() if user.is_staff else Order.objects.filter(user=user)
    return orders.prefetch_related("items", "status_changes")


def payments_visible_to(user: AbstractBaseUser) -> QuerySet[Payment]:
    """Payments of own orders; staff see all."""
    payments = Payment.objects.select_related("order")
    return payments if user.is_staff else payments.filter(order__user=user)


def streams_visible_to(user: AbstractBaseUser) -> QuerySet[LiveStream]:
    """Own streams; staff see all."""
    streams = LiveStream.objects.select_related("recording")
    return streams if user.is_staff else streams.filter(host=user)
