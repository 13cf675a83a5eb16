"""Orders, their lines (prices captured at order time) and their status history."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone

from commerce.money import from_minor


class OrderStatus(models.TextChoices):
    PENDING_PAYMENT = "pending_payment", "Pending payment"
    PAID = "paid", "Paid"
    FULFILLED = "fulfilled", "Fulfilled"
    CANCELLED = "cancelled", "Cancelled"
    PAYMENT_FAILED = "payment_failed", "Payment failed"
    REFUNDED = "refunded", "Refunded"


# Orders still waiting for money: their stock is reserved and they may still be paid.
AWAITING_PAYMENT = frozenset({OrderStatus.PENDING_PAYMENT, OrderStatus.PAYMENT_FAILED})
# Orders whose money arrived (sales reports and stream analytics count these).
PAID_STATUSES = frozenset({OrderStatus.PAID, OrderStatus.FULFILLED})

ORDER_TRANSITIONS: dict[str, frozenset[str]] = {
    OrderStatus.PENDING_PAYMENT: frozenset(
        {OrderStatus.PAID, OrderStatus.CANCELLED, OrderStatus.PAYMENT_FAILED}
    ),
    OrderStatus.PAYMENT_FAILED: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.FULFILLED, OrderStatus.REFUNDED}),
    OrderStatus.FULFILLED: frozenset({OrderStatus.REFUNDED}),
    OrderStatus.CANCELLED: frozenset(),
    OrderStatus.REFUNDED: frozenset(),
}


class StockState(models.TextChoices):
    RESERVED = "reserved", "Reserved"
    COMMITTED = "committed", "Committed"
    RELEASED = "released", "Released"


class Order(models.Model):
    number = models.CharField(max_length=32, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="orders"
    )
    status = models.CharField(
        max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING_PAYMENT
    )
    currency = models.CharField(max_length=3)
    total_minor = models.PositiveBigIntegerField(help_text="Order total in minor units.")
    # Moves reserved -> committed (paid) or reserved -> released (cancelled), exactly once.
    stock_state = models.CharField(
        max_length=16, choices=StockState.choices, default=StockState.RESERVED
    )
    cart = models.ForeignKey(
        "commerce.Cart", null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    payment_due_at = models.DateTimeField(help_text="Unpaid after this, the order expires.")
    paid_at = models.DateTimeField(null=True, blank=True)
    fulfilled_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    refunded_at = models.DateTimeField(null=True, blank=True)
    # The live stream the sale belongs to (its analytics count only these orders).
    stream = models.ForeignKey(
        "commerce.LiveStream",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="orders",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "payment_due_at"], name="order_status_due_idx"),
            models.Index(fields=["user", "created_at"], name="order_user_created_idx"),
            models.Index(fields=["status", "paid_at"], name="order_status_paid_idx"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def total(self) -> Decimal:
        return from_minor(self.total_minor, self.currency)

    def can_transition_to(self, status: str) -> bool:
        return status in ORDER_TRANSITIONS[self.status]


class OrderItem(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="items")
    product = models.ForeignKey("commerce.Product", on_delete=models.PROTECT, related_name="+")
    sku = models.CharField("SKU", max_length=64)
    name = models.CharField(max_length=200)
    unit_price_minor = models.PositiveBigIntegerField()
    quantity = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    line_total_minor = models.PositiveBigIntegerField()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["order", "product"], name="order_item_product_once"),
            models.CheckConstraint(
                condition=models.Q(quantity__gte=1), name="order_item_qty_gte_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.sku}"


class OrderStatusChange(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, blank=True, default="")
    to_status = models.CharField(max_length=20)
    reason = models.CharField(max_length=255, blank=True, default="")
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.from_status or '-'} -> {self.to_status}"
