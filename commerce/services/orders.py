"""Orders: place (reserving stock), cancel or expire (releasing it), pay, fulfil, refund."""

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from commerce import signals
from commerce.errors import InvalidOrderRequest, InvalidStateTransition, ProductUnavailable
from commerce.models import (
    Cart,
    LiveStream,
    Order,
    OrderItem,
    OrderStatus,
    OrderStatusChange,
    Payment,
    Product,
    StockMovementKind,
    StreamStatus,
)
from commerce.models.orders import AWAITING_PAYMENT
from commerce.money import to_minor
from commerce.services import notices
from commerce.services.stock import stock_commit, stock_release, stock_reserve, stock_return
from config.quotas import QuotaExceeded, is_limited, quota_check, quota_lock
from jobs.services import job_create

logger = logging.getLogger(__name__)

MAX_ORDER_LINES = 100
_NUMBER_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


@dataclass(frozen=True)
class OrderLine:
    product_id: int
    quantity: int


def _order_number() -> str:
    suffix = "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(8))
    return f"RH{timezone.now():%y%m%d}{suffix}"


def _merged(lines: list[OrderLine]) -> dict[int, int]:
    quantities: dict[int, int] = {}
    for line in lines:
        if line.quantity < 1:
            raise InvalidOrderRequest("Each quantity must be at least 1.")
        quantities[line.product_id] = quantities.get(line.product_id, 0) + line.quantity
    if not quantities:
        raise InvalidOrderRequest("An order needs at least one item.")
    if len(quantities) > MAX_ORDER_LINES:
        raise InvalidOrderRequest(f"An order can hold at most {MAX_ORDER_LINES} products.")
    return quantities


def _products(quantities: dict[int, int]) -> dict[int, Product]:
    products = Product.objects.in_bulk(list(quantities))
    missing = sorted(set(quantities) - set(products))
    if missing:
        raise InvalidOrderRequest(f"Product {missing[0]} does not exist.")
    off_sale = sorted(pk for pk, product in products.items() if not product.active)
    if off_sale:
        # Checked before anything names a product: an inactive one's name and SKU stay private.
        raise ProductUnavailable.off_sale(off_sale[0])
    currencies = {product.currency for product in products.values()}
    if len(currencies) > 1:
        shown = ", ".join(sorted(currencies))
        raise InvalidOrderRequest(f"All products of an order must share one currency; got {shown}.")
    return products


def _check_quotas(
    user: AbstractBaseUser, quantities: dict[int, int], products: dict[int, Product]
) -> None:
    """Bound what one account may hold: quantity per line, orders awaiting payment (429)."""
    if not is_limited(user):
        return
    limit = settings.ORDER_MAX_QUANTITY_PER_LINE
    for product_id, quantity in sorted(quantities.items()):
        if limit and quantity > limit:
            raise QuotaExceeded(
                f"At most {limit} of one product per order; you asked for {quantity} of "
                f"{products[product_id].name!r}. Lower the quantity."
            )
    quota_lock(user)
    unpaid = Order.objects.filter(user=user, status__in=AWAITING_PAYMENT).count()
    quota_check(
        used=unpaid,
        limit=settings.ORDERS_MAX_UNPAID_PER_USER,
        what="orders awaiting payment",
        advice="Pay or cancel one of them first.",
    )


def _record_status(
    order: Order, to_status: str, *, reason: str, by: AbstractBaseUser | None = None
) -> None:
    OrderStatusChange.objects.create(
        order=order,
        from_status=order.status if order.pk and order.status != to_status else "",
        to_status=to_status,
        reason=reason[:255],
        changed_by=by if by is not None and by.is_authenticated else None,
    )


def _transition(
    order: Order, to_status: str, *, reason: str, by: AbstractBaseUser | None = None
) -> None:
    """Move a row the caller holds locked to `to_status`, recording the change."""
    if not order.can_transition_to(to_status):
        raise InvalidStateTransition(
            f"Order {order.number} is {order.get_status_display().lower()}; it cannot become "
            f"{OrderStatus(to_status).label.lower()}."
        )
    _record_status(order, to_status, reason=reason, by=by)
    order.status = to_status
    now = timezone.now()
    stamp = {
        OrderStatus.PAID: "paid_at",
        OrderStatus.FULFILLED: "fulfilled_at",
        OrderStatus.CANCELLED: "cancelled_at",
        OrderStatus.REFUNDED: "refunded_at",
    }.get(to_status)
    fields = ["status", "updated_at"]
    if stamp:
        setattr(order, stamp, now)
        fields.append(stamp)
    order.save(update_fields=fields)
    logger.info("order %s order_id=%s reason=%s", to_status, order.pk, reason)


def _bookkeeping(order: Order, kind: str) -> None:
    job_create(
        job_type="inventory_bookkeeping", params={"order_id": order.pk, "kind": kind}, target=order
    )


def _live_stream(stream_id: int | None) -> LiveStream | None:
    if stream_id is None:
        return None
    stream = LiveStream.objects.filter(pk=stream_id).first()
    if stream is None or stream.status != StreamStatus.LIVE:
        raise InvalidOrderRequest(
            f"Stream {stream_id} is not live; sales can only be attributed to a live stream."
        )
    return stream


def lock_order(order_id: int) -> Order:
    """Return the order row locked for this transaction."""
    return Order.objects.select_for_update().select_related("user").get(pk=order_id)


@transaction.atomic
def order_place(
    *,
    user: AbstractBaseUser,
    lines: list[OrderLine] | None = None,
    cart: Cart | None = None,
    stream_id: int | None = None,
) -> Order:
    """Create a `pending_payment` order and reserve its stock in one transaction.

    Give either `lines` or one of the user's carts (which is emptied). Prices are those of
    the products now; the confirmation email and the stock ledger follow on commit. A
    `stream_id` attributes the sale to that live stream.
    """
    if (lines is None) == (cart is None):
        raise InvalidOrderRequest("Give either items or a cart, not both.")
    stream = _live_stream(stream_id)
    if cart is not None:
        cart = Cart.objects.select_for_update().get(pk=cart.pk)
        if cart.user_id != user.pk:
            raise InvalidOrderRequest("That cart is not yours.")
        lines = [OrderLine(item.product_id, item.quantity) for item in cart.items.all()]
        if not lines:
            raise InvalidOrderRequest("The cart is empty.")
    quantities = _merged(lines or [])
    products = _products(quantities)
    _check_quotas(user, quantities, products)
    stock_reserve(quantities=quantities)

    currency = next(iter(products.values())).currency
    now = timezone.now()
    order = Order(
        number=_order_number(),
        user=user,
        currency=currency,
        total_minor=0,
        cart=cart,
        stream=stream,
        payment_due_at=now + timedelta(minutes=settings.ORDER_PAYMENT_TIMEOUT_MINUTES),
        created_at=now,
    )
    items = []
    for product_id in sorted(quantities):
        product, quantity = products[product_id], quantities[product_id]
        unit = to_minor(product.price, currency)
        items.append(
            OrderItem(
                product=product,
                sku=product.sku,
                name=product.name,
                unit_price_minor=unit,
                quantity=quantity,
                line_total_minor=unit * quantity,
            )
        )
        order.total_minor += unit * quantity
    order.save(force_insert=True)
    for item in items:
        item.order = order
    OrderItem.objects.bulk_create(items)
    _record_status(order, OrderStatus.PENDING_PAYMENT, reason="Order placed", by=user)
    if cart is not None:
        cart.items.all().delete()
        Cart.objects.filter(pk=cart.pk).update(updated_at=now)
    _bookkeeping(order, StockMovementKind.RESERVED)
    notices.order_placed_notify(order=order)
    logger.info("order placed order_id=%s number=%s user_id=%s", order.pk, order.number, user.pk)
    return order


@transaction.atomic
def order_cancel(
    *,
    order: Order,
    reason: str = "Cancelled by the customer",
    by: AbstractBaseUser | None = None,
    expired: bool = False,
) -> Order:
    """Cancel an unpaid order and put its stock back (once, however often this runs).

    The customer is told it was cancelled, or that it `expired` unpaid.
    """
    order = lock_order(order.pk)
    if order.status not in AWAITING_PAYMENT:
        raise InvalidStateTransition(
            f"Only unpaid orders can be cancelled; order {order.number} is "
            f"{order.get_status_display().lower()}."
        )
    _transition(order, OrderStatus.CANCELLED, reason=reason, by=by)
    if stock_release(order=order):
        _bookkeeping(order, StockMovementKind.RELEASED)
    # No more payment reminders for a cancelled order.
    order.payments.filter(next_retry_at__isnull=False).update(next_retry_at=None)
    notices.order_status_notify(order=order, event="expired" if expired else "cancelled")
    return order


def orders_expire(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Cancel unpaid orders past their payment deadline, each in its own transaction."""
    now = now or timezone.now()
    due = Order.objects.filter(status__in=AWAITING_PAYMENT, payment_due_at__lt=now)
    expired = []
    for order_id in due.order_by("payment_due_at").values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            order = lock_order(order_id)
            if order.status not in AWAITING_PAYMENT:  # paid or cancelled meanwhile
                continue
            order_cancel(order=order, reason="Expired: payment not received in time", expired=True)
        expired.append(order_id)
    return expired


def order_mark_paid(*, order: Order, payment: Payment) -> None:
    """Mark a locked, unpaid order paid by `payment`: commit stock, notify, signal."""
    _transition(
        order,
        OrderStatus.PAID,
        reason=f"Paid: {payment.get_provider_display()} payment {payment.pk}",
    )
    if stock_commit(order=order):
        _bookkeeping(order, StockMovementKind.COMMITTED)
    order.payments.exclude(pk=payment.pk).filter(next_retry_at__isnull=False).update(
        next_retry_at=None
    )
    notices.order_paid_notify(order=order)
    signals.order_paid.send(sender=Order, order=order)


def order_mark_payment_failed(*, order: Order, reason: str) -> None:
    """Record on a locked, unpaid order that its payment failed for good."""
    if order.status == OrderStatus.PENDING_PAYMENT:
        _transition(order, OrderStatus.PAYMENT_FAILED, reason=reason)


@transaction.atomic
def order_fulfil(*, order: Order, by: AbstractBaseUser | None = None) -> Order:
    """Mark a paid order fulfilled (shipped)."""
    order = lock_order(order.pk)
    _transition(order, OrderStatus.FULFILLED, reason="Fulfilled", by=by)
    notices.order_status_notify(order=order, event="fulfilled")
    return order


def order_mark_refunded(*, order: Order, reason: str, by: AbstractBaseUser | None = None) -> None:
    """Mark a locked, paid order refunded (its provider confirmed): stock back if unshipped."""
    _transition(order, OrderStatus.REFUNDED, reason=reason, by=by)
    if stock_return(order=order):
        _bookkeeping(order, StockMovementKind.RETURNED)
