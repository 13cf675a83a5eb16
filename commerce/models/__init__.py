"""Models of the commerce app, one module per area."""

from commerce.models.carts import Cart, CartItem
from commerce.models.catalog import Product, StockMovement, StockMovementKind
from commerce.models.customers import CustomerProfile, MessageLanguage, OtpChallenge
from commerce.models.orders import Order, OrderItem, OrderStatus, OrderStatusChange, StockState
from commerce.models.payments import (
    EventProcessingStatus,
    Payment,
    PaymentEvent,
    PaymentProvider,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from commerce.models.reports import DailySalesReport
from commerce.models.streams import LiveStream, StreamStatus

__all__ = [
    "Cart",
    "CartItem",
    "CustomerProfile",
    "DailySalesReport",
    "EventProcessingStatus",
    "LiveStream",
    "MessageLanguage",
    "Order",
    "OrderItem",
    "OrderStatus",
    "OrderStatusChange",
    "OtpChallenge",
    "Payment",
    "PaymentEvent",
    "PaymentProvider",
    "PaymentStatus",
    "Product",
    "Refund",
    "RefundStatus",
    "StockMovement",
    "StockMovementKind",
    "StockState",
    "StreamStatus",
]
