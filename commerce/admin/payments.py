"""Payments and the provider events that moved them."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from commerce.errors import CommerceError
from commerce.models import Payment, PaymentEvent, Refund
from commerce.services.refunds import refund_confirm_manual


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "order",
        "provider",
        "provider_reference",
        "status",
        "amount_display",
        "attempts",
        "next_retry_at",
        "flagged",
        "created_at",
    ]
    list_filter = ["provider", "status", "flagged", "created_at"]
    search_fields = ["provider_reference", "order__number"]
    list_select_related = ["order"]
    readonly_fields = [f.name for f in Payment._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Amount", ordering="amount_minor")
    def amount_display(self, payment: Payment) -> str:
        return f"{payment.amount} {payment.currency}"


@admin.register(PaymentEvent)
class PaymentEventAdmin(admin.ModelAdmin):
    list_display = [
        "received_at",
        "provider",
        "event_type",
        "provider_event_id",
        "processing_status",
        "order",
        "payment",
        "processed_at",
    ]
    list_filter = ["provider", "processing_status", "event_type", "received_at"]
    search_fields = ["provider_event_id", "order__number"]
    list_select_related = ["order", "payment"]
    date_hierarchy = "received_at"
    readonly_fields = [f.name for f in PaymentEvent._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Refund)
class RefundAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "order",
        "payment",
        "amount_display",
        "status",
        "provider_reference",
        "created_at",
        "completed_at",
    ]
    list_filter = ["status", "payment__provider", "created_at"]
    search_fields = ["order__number", "provider_reference"]
    list_select_related = ["order", "payment"]
    readonly_fields = [f.name for f in Refund._meta.fields]
    actions = ["confirm_manual"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description="Amount", ordering="amount_minor")
    def amount_display(self, refund: Refund) -> str:
        return f"{refund.amount} {refund.currency}"

    @admin.action(description="Confirm refunds made in the provider's console (ECPay)")
    def confirm_manual(self, request: HttpRequest, queryset: QuerySet[Refund]) -> None:
        done = 0
        for refund in queryset:
            try:
                done += refund_confirm_manual(refund=refund, by=request.user)
            except CommerceError as exc:
                self.message_user(request, exc.message, messages.WARNING)
        if done:
            self.message_user(request, f"{done} refund(s) confirmed.", messages.SUCCESS)
