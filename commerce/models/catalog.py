"""The catalogue: products with their stock, and the stock ledger."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone


def _default_currency() -> str:
    return settings.SHOP_CURRENCY


class Product(models.Model):
    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=200)
    price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    currency = models.CharField(max_length=3, default=_default_currency)
    # Units on hand and not reserved by an unpaid order.
    stock = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gt=0), name="product_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class StockMovementKind(models.TextChoices):
    RESERVED = "reserved", "Reserved by an order"
    RELEASED = "released", "Released (order cancelled or expired)"
    COMMITTED = "committed", "Committed (order paid)"
    RETURNED = "returned", "Returned to stock (paid order refunded before it shipped)"


class StockMovement(models.Model):
    """One line of the inventory ledger, written by the bookkeeping job once per order event."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="movements")
    order = models.ForeignKey(
        "commerce.Order", on_delete=models.CASCADE, related_name="stock_movements"
    )
    kind = models.CharField(max_length=16, choices=StockMovementKind.choices)
    quantity = models.PositiveIntegerField()
    stock_after = models.PositiveIntegerField(
        null=True, blank=True, help_text="The product's available stock when this was recorded."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "product", "kind"], name="stock_movement_once_per_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.quantity} x {self.product_id} (order {self.order_id})"
