"""Reads for the API: what each user may see, with the rows serializers need."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Prefetch, Q, QuerySet

from commerce.models import Cart, CartItem, LiveStream, Order, Payment, Product, StreamStatus


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
    """Live streams for anyone, own streams too for their host; staff see all."""
    streams = LiveStream.objects.select_related("recording")
    if user.is_staff:
        return streams
    live = Q(status=StreamStatus.LIVE)
    return streams.filter(live | Q(host=user) if user.is_authenticated else live)


def streams_run_by(user: AbstractBaseUser) -> QuerySet[LiveStream]:
    """The streams a user may change: own ones; staff all."""
    streams = LiveStream.objects.select_related("recording")
    return streams if user.is_staff else streams.filter(host=user)
