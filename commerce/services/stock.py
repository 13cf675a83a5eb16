"""Stock: reserve when an order is placed, release or commit it exactly once."""

import logging

from django.db.models import F

from commerce.errors import InsufficientStock, ProductUnavailable
from commerce.models import Order, Product, StockState

logger = logging.getLogger(__name__)


def stock_reserve(*, quantities: dict[int, int]) -> None:
    """Take `quantities` (product id -> units) off the shelf, all or nothing.

    Each guarded UPDATE locks its product row and only succeeds while enough stock is
    left, so concurrent orders never oversell; going through products in primary-key
    order keeps two orders from deadlocking. Must run inside the order's transaction:
    raising rolls back the rows already taken.
    """
    for product_id in sorted(quantities):
        wanted = quantities[product_id]
        taken = Product.objects.filter(pk=product_id, active=True, stock__gte=wanted).update(
            stock=F("stock") - wanted
        )
        if taken:
            continue
        product = Product.objects.get(pk=product_id)
        if not product.active:
            raise ProductUnavailable.off_sale(product.pk)
        raise InsufficientStock(
            sku=product.sku, name=product.name, requested=wanted, available=product.stock
        )


def stock_release(*, order: Order) -> bool:
    """Put a reserved order's units back on the shelf; return False if already done."""
    if not _back_on_shelf(order, from_state=StockState.RESERVED):
        return False
    logger.info("stock released order_id=%s", order.pk)
    return True


def _back_on_shelf(order: Order, *, from_state: str) -> bool:
    """Move the order from `from_state` to RELEASED and add its units back to stock, once."""
    moved = Order.objects.filter(pk=order.pk, stock_state=from_state).update(
        stock_state=StockState.RELEASED
    )
    if not moved:
        return False
    order.stock_state = StockState.RELEASED
    for item in order.items.order_by("product_id"):
        Product.objects.filter(pk=item.product_id).update(stock=F("stock") + item.quantity)
    return True


def stock_commit(*, order: Order) -> bool:
    """Mark a paid order's reserved units as sold; return False if not reserved any more."""
    moved = Order.objects.filter(pk=order.pk, stock_state=StockState.RESERVED).update(
        stock_state=StockState.COMMITTED
    )
    if moved:
        order.stock_state = StockState.COMMITTED
    return bool(moved)


def stock_return(*, order: Order) -> bool:
    """Put a refunded, unshipped order's sold units back on sale; return False if done before.

    A fulfilled order's goods left with the customer: they come back on sale only when
    someone counts them back in (the product's stock), not because money went back.
    """
    if order.fulfilled_at is not None:
        return False
    if not _back_on_shelf(order, from_state=StockState.COMMITTED):
        return False
    logger.info("stock returned order_id=%s", order.pk)
    return True
