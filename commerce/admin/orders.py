"""Orders: fulfil, cancel, refund (status only) from the list."""

from collections.abc import Callable

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from commerce.errors import CommerceError
from commerce.models import Order, OrderItem, OrderStatusChange, Payment
from commerce.services.orders import order_cancel, order_fulfil
from commerce.services.refunds import refund_request


class OrderItemInline(admin.TabularInline):
    model = OrderItem
    extra = 0
    can_delete = False
    readonly_fields = ["product", "sku", "name", "unit_price_minor", "quantity", "line_total_minor"]

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class OrderStatusChangeInline(admin.TabularInline):
    model = OrderStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "from_status", "to_status", "reason", "changed_by"]

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    can_delete = False
    fields = ["provider", "provider_reference", "status", "attempts", "flagged", "flag_reason"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "number",
        "user",
        "status",
        "total_display",
        "stock_state",
        "created_at",
        "paid_at",
        "payment_due_at",
    ]
    list_filter = ["status", "stock_state", "currency", "created_at"]
    search_fields = ["number", "user__username", "user__email"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    readonly_fields = [
        "number",
        "user",
        "status",
        "currency",
        "total_minor",
        "stock_state",
        "cart",
        "payment_due_at",
        "paid_at",
        "fulfilled_at",
        "cancelled_at",
        "refunded_at",
        "stream",
        "created_at",
        "updated_at",
    ]
    inlines = [OrderItemInline, PaymentInline, OrderStatusChangeInline]
    actions = ["mark_fulfilled", "cancel_orders", "mark_refunded"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Total", ordering="total_minor")
    def total_display(self, order: Order) -> str:
        return f"{order.total} {order.currency}"

    def _apply(
        self, request: HttpRequest, queryset: QuerySet[Order], action: Callable, done: str
    ) -> None:
        changed = 0
        for order in queryset:
            try:
                action(order=order, by=request.user)
                changed += 1
            except CommerceError as exc:
                self.message_user(request, f"{order.number}: {exc.message}", messages.WARNING)
        if changed:
            self.message_user(request, f"{changed} order(s) {done}.", messages.SUCCESS)

    @admin.action(description="Mark selected paid orders fulfilled")
    def mark_fulfilled(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        self._apply(request, queryset, order_fulfil, "fulfilled")

    @admin.action(description="Cancel selected unpaid orders (stock goes back)")
    def cancel_orders(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        def cancel(*, order: Order, by) -> None:
            order_cancel(order=order, by=by, reason=f"Cancelled by {by}")

        self._apply(request, queryset, cancel, "cancelled")

    @admin.action(description="Refund selected orders in full (through their provider)")
    def mark_refunded(self, request: HttpRequest, queryset: QuerySet[Order]) -> None:
        def refund(*, order: Order, by) -> None:
            refund_request(order=order, by=by, reason=f"Refunded by {by} in the admin")

        self._apply(request, queryset, refund, "sent to be refunded")
