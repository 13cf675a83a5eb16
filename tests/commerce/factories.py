"""Factories for commerce tests."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from commerce.models import (
    Cart,
    CartItem,
    CustomerProfile,
    LiveStream,
    Order,
    OrderItem,
    Payment,
    PaymentProvider,
    Product,
)
from commerce.money import to_minor
from tests.factories import UserFactory


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:04d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    price = Decimal("12.50")
    currency = "TWD"
    stock = 10
    active = True


class CartFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cart

    user = factory.SubFactory(UserFactory)


class CartItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CartItem

    cart = factory.SubFactory(CartFactory)
    product = factory.SubFactory(ProductFactory)
    quantity = 1


class CustomerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerProfile

    user = factory.SubFactory(UserFactory)
    phone = factory.Sequence(lambda n: f"+88691200{n:04d}")
    phone_verified_at = factory.LazyFunction(timezone.now)


class OrderFactory(factory.django.DjangoModelFactory):
    """An order in pending_payment; stock is NOT taken (use order_place for that)."""

    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"RHTEST{n:06d}")
    user = factory.SubFactory(UserFactory)
    currency = "TWD"
    total_minor = 50000
    payment_due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(minutes=30))


def order_with_item(*, product: Product | None = None, quantity: int = 1, **kwargs) -> Order:
    """An order holding one line whose total matches its product's price."""
    product = product or ProductFactory()
    unit = to_minor(product.price, product.currency)
    order = OrderFactory(currency=product.currency, total_minor=unit * quantity, **kwargs)
    OrderItem.objects.create(
        order=order,
        product=product,
        sku=product.sku,
        name=product.name,
        unit_price_minor=unit,
        quantity=quantity,
        line_total_minor=unit * quantity,
    )
    return order


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    order = factory.SubFactory(OrderFactory)
    provider = PaymentProvider.STRIPE
    amount_minor = factory.LazyAttribute(lambda p: p.order.total_minor)
    currency = factory.LazyAttribute(lambda p: p.order.currency)


class LiveStreamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LiveStream

    host = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Live sale {n}")
