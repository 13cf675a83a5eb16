"""Payments against orders and the provider callbacks (events) that move them."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone

from commerce.money import from_minor


class PaymentProvider(models.TextChoices):
    STRIPE = "stripe", "Stripe"
    ECPAY = "ecpay", "ECPay"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    REFUNDED = "refunded", "Refunded"


class Payment(models.Model):
    order = models.ForeignKey("commerce.Order", on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(max_length=16, choices=PaymentProvider.choices)
    # Stripe: the PaymentIntent id (known from its first event); ECPay: our MerchantTradeNo.
    provider_reference = models.CharField(max_length=255, blank=True, default="")
    amount_minor = models.PositiveBigIntegerField(help_text="Expected amount in minor units.")
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=16, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    # Charge attempts that reached the provider (each failure or success event counts one).
    attempts = models.PositiveSmallIntegerField(default=0)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    failure_message = models.CharField(max_length=500, blank=True, default="")
    flagged = models.BooleanField(default=False, help_text="Needs a person: see flag reason.")
    flag_reason = models.CharField(max_length=500, blank=True, default="")
    # When the newest applied provider event happened: older events never undo newer ones.
    last_event_at = models.DateTimeField(null=True, blank=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_reference"],
                condition=~models.Q(provider_reference=""),
                name="payment_provider_reference_unique",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_retry_at"],
                name="payment_retry_due_idx",
                condition=models.Q(next_retry_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} payment {self.pk} for order {self.order_id} ({self.status})"

    @property
    def amount(self) -> Decimal:
        return from_minor(self.amount_minor, self.currency)


class EventProcessingStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored (duplicate effect, stale or unhandled type)"
    AMOUNT_MISMATCH = "amount_mismatch", "Amount mismatch"
    SIMULATED = "simulated", "Simulated payment (never shipped)"
    FAILED = "failed", "Processing failed"


class PaymentEvent(models.Model):
    """A verified provider callback, stored before it is answered and processed by a job."""

    provider = models.CharField(max_length=16, choices=PaymentProvider.choices)
    # Stripe: the event id; ECPay: "<MerchantTradeNo>:<TradeNo>".
    provider_event_id = models.CharField(max_length=255)
    event_type = models.CharField(max_length=100)
    payload = models.JSONField(help_text="The callback as received (JSON body or form fields).")
    signature_verified = models.BooleanField(default=False)
    occurred_at = models.DateTimeField(
        null=True, blank=True, help_text="When the provider says it happened."
    )
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    processing_status = models.CharField(
        max_length=20,
        choices=EventProcessingStatus.choices,
        default=EventProcessingStatus.PENDING,
    )
    processing_error = models.TextField(blank=True, default="")
    order = models.ForeignKey(
        "commerce.Order", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )

    class Meta:
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "provider_event_id"], name="payment_event_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["processing_status", "received_at"], name="payment_event_status_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type} {self.provider_event_id}"


class RefundStatus(models.TextChoices):
    PENDING = "pending", "Pending (the refund job asks the provider)"
    PROCESSING = "processing", "Processing at the provider"
    MANUAL = "manual", "To be made in the provider's merchant console"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


# Refunds that hold part of a payment: not failed.
OPEN_OR_DONE_REFUNDS = frozenset(
    {RefundStatus.PENDING, RefundStatus.PROCESSING, RefundStatus.MANUAL, RefundStatus.SUCCEEDED}
)


class Refund(models.Model):
    """Money given back on a payment, in full or in part; the provider confirms it."""

    order = models.ForeignKey("commerce.Order", on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_minor = models.PositiveBigIntegerField(help_text="Refunded amount in minor units.")
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=16, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    # Stripe: the Refund id (re_...); ECPay: empty (refunded in its merchant console).
    provider_reference = models.CharField(max_length=255, blank=True, default="")
    reason = models.CharField(max_length=255, blank=True, default="")
    note = models.CharField(max_length=500, blank=True, default="")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["payment", "provider_reference"],
                condition=~models.Q(provider_reference=""),
                name="refund_provider_reference_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"Refund {self.pk} of payment {self.payment_id} ({self.status})"

    @property
    def amount(self) -> Decimal:
        return from_minor(self.amount_minor, self.currency)
