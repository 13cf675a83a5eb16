"""The inventory ledger: one StockMovement per order, product and kind of movement."""

import logging

from django.db import transaction

from commerce.models import Order, Product, StockMovement, StockMovementKind

logger = logging.getLogger(__name__)


@transaction.atomic
def inventory_record(*, order_id: int, kind: str) -> dict[str, object]:
    """Write the ledger lines of one order event; running it again adds nothing."""
    if kind not in StockMovementKind.values:
        raise ValueError(f"Unknown stock movement {kind!r}.")
    order = Order.objects.filter(pk=order_id).first()
    if order is None:
        return {"order_id": order_id, "recorded": 0, "skipped": "no such order"}
    items = list(order.items.all())
    stock = dict(
        Product.objects.filter(pk__in=[item.product_id for item in items]).values_list(
            "pk", "stock"
        )
    )
    movements = [
        StockMovement(
            product_id=item.product_id,
            order=order,
            kind=kind,
            quantity=item.quantity,
            stock_after=stock.get(item.product_id),
        )
        for item in items
    ]
    before = StockMovement.objects.filter(order=order, kind=kind).count()
    StockMovement.objects.bulk_create(movements, ignore_conflicts=True)
    recorded = StockMovement.objects.filter(order=order, kind=kind).count() - before
    low = sorted(
        item.sku
        for item in items
        if stock.get(item.product_id) is not None and stock[item.product_id] == 0
    )
    if low:
        logger.warning("sold out after order_id=%s: %s", order_id, ", ".join(low))
    return {"order_id": order_id, "kind": kind, "recorded": recorded, "sold_out": low}
