"""Payments and the provider events that moved them."""

from django.contrib import admin
from django.http import HttpRequest

from commerce.models import Payment, PaymentEvent


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
