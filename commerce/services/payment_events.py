"""Processing a stored payment event: the job behind every payment webhook.

Locks are always taken event -> order -> payment, and every change is guarded by the
rows' current state, so duplicate, concurrent or out-of-order events change an order at
most once and never move it backwards: a success always wins over a failure, and a
failure older than the last applied event is recorded but ignored.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from commerce.models import (
    EventProcessingStatus,
    Order,
    Payment,
    PaymentEvent,
    PaymentProvider,
    PaymentStatus,
)
from commerce.models.orders import AWAITING_PAYMENT, OrderStatus
from commerce.providers import ecpay
from commerce.providers import stripe as stripe_provider
from commerce.services import notices
from commerce.services.orders import lock_order, order_mark_paid, order_mark_payment_failed
from commerce.services.payment_intake import stripe_payload
from commerce.services.payments import order_charge_attempts, retry_delay
from commerce.services.refunds import stripe_charge_refunded

logger = logging.getLogger(__name__)

Outcome = tuple[str, str]  # (processing status, note)


@transaction.atomic
def payment_event_process(*, event_id: int) -> dict[str, str]:
    """Apply one stored event to its payment and order, once."""
    event = PaymentEvent.objects.select_for_update().filter(pk=event_id).first()
    if event is None:
        return {"status": "missing"}
    if event.processing_status != EventProcessingStatus.PENDING:
        return {"status": event.processing_status, "note": "already processed"}
    if event.order_id is None:  # the order was deleted after the event was stored
        status, note = EventProcessingStatus.FAILED, "The event's order no longer exists."
        PaymentEvent.objects.filter(pk=event.pk).update(
            processing_status=status, processing_error=note, processed_at=timezone.now()
        )
        return {"status": status, "note": note}
    order = lock_order(event.order_id)
    if event.provider == PaymentProvider.STRIPE:
        status, note = _process_stripe(event, order)
    else:
        status, note = _process_ecpay(event, order)
    event.processing_status = status
    event.processing_error = note
    event.processed_at = timezone.now()
    event.save(update_fields=["processing_status", "processing_error", "processed_at", "payment"])
    logger.info(
        "payment event processed event_pk=%s order_id=%s payment_id=%s status=%s %s",
        event.pk,
        order.pk,
        event.payment_id,
        status,
        note,
    )
    return {"status": status, "note": note, "order_status": order.status}


def payment_event_failed(*, event_id: int, error: str) -> None:
    """Record that processing gave up (called in the transaction that fails its job)."""
    PaymentEvent.objects.filter(
        pk=event_id, processing_status=EventProcessingStatus.PENDING
    ).update(
        processing_status=EventProcessingStatus.FAILED,
        processing_error=error[:2000],
        processed_at=timezone.now(),
    )


def _stripe_payment(order: Order, intent_id: str | None) -> Payment:
    """The order's payment for this PaymentIntent, adopting a pending one or creating it."""
    payments = Payment.objects.select_for_update().filter(
        order=order, provider=PaymentProvider.STRIPE
    )
    if intent_id:
        payment = payments.filter(provider_reference=intent_id).first()
        if payment is not None:
            return payment
    payment = payments.filter(provider_reference="").order_by("-pk").first()
    if payment is None:
        payment = Payment.objects.create(
            order=order,
            provider=PaymentProvider.STRIPE,
            amount_minor=order.total_minor,
            currency=order.currency,
        )
    if intent_id:
        payment.provider_reference = intent_id
        payment.save(update_fields=["provider_reference", "updated_at"])
    return payment


def _process_stripe(event: PaymentEvent, order: Order) -> Outcome:
    data = stripe_payload(event)
    if data.type == "charge.refunded":
        return _process_stripe_refund(event, order, data)
    payment = _stripe_payment(order, data.object_id)
    event.payment = payment
    expected = stripe_provider.to_minor_units(order.total, order.currency)
    if data.amount != expected or data.currency != order.currency.lower():
        return _flag_mismatch(
            payment,
            f"Stripe reported {data.amount} {data.currency}; order {order.number} expects "
            f"{expected} {order.currency.lower()} (minor units).",
        )
    if data.type == "payment_intent.succeeded":
        return _apply_success(order, payment, event.occurred_at)
    error = (data.raw["data"]["object"].get("last_payment_error") or {}).get("message", "")
    return _apply_failure(order, payment, event.occurred_at, error or "The card was declined.")


def _process_stripe_refund(
    event: PaymentEvent, order: Order, data: stripe_provider.StripeEvent
) -> Outcome:
    charge = data.raw["data"]["object"]
    payment = (
        Payment.objects.select_for_update()
        .filter(order=order, provider=PaymentProvider.STRIPE)
        .filter(provider_reference=charge.get("payment_intent") or "-")
        .first()
    )
    if payment is None:
        return EventProcessingStatus.FAILED, "No payment of this order holds the charge's intent."
    event.payment = payment
    note = stripe_charge_refunded(order=order, payment=payment, charge=charge)
    order.refresh_from_db()
    return EventProcessingStatus.PROCESSED, note


def _process_ecpay(event: PaymentEvent, order: Order) -> Outcome:
    notification = ecpay.parse_notification(event.payload)
    payment = Payment.objects.select_for_update().get(pk=event.payment_id)
    if notification.simulate_paid:
        return (
            EventProcessingStatus.SIMULATED,
            "SimulatePaid=1: a simulated payment from ECPay's dashboard; recorded, never shipped.",
        )
    expected = int(order.total) if order.total == order.total.to_integral_value() else None
    if notification.trade_amt != expected:
        return _flag_mismatch(
            payment,
            f"ECPay reported TradeAmt {notification.trade_amt}; order {order.number} totals "
            f"{order.total} {order.currency}.",
        )
    if notification.paid:
        return _apply_success(order, payment, event.occurred_at)
    message = f"ECPay RtnCode {notification.rtn_code}: {notification.rtn_msg}".strip(": ")
    return _apply_failure(order, payment, event.occurred_at, message)


def _flag_mismatch(payment: Payment, reason: str) -> Outcome:
    payment.flagged = True
    payment.flag_reason = reason[:500]
    payment.save(update_fields=["flagged", "flag_reason", "updated_at"])
    logger.error("payment amount mismatch payment_id=%s: %s", payment.pk, reason)
    return EventProcessingStatus.AMOUNT_MISMATCH, reason


def _seen(payment: Payment, occurred_at: datetime | None) -> None:
    if occurred_at and (payment.last_event_at is None or occurred_at > payment.last_event_at):
        payment.last_event_at = occurred_at


def _apply_success(order: Order, payment: Payment, occurred_at: datetime | None) -> Outcome:
    if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
        return EventProcessingStatus.IGNORED, f"Payment {payment.pk} already {payment.status}."
    payment.status = PaymentStatus.SUCCEEDED
    payment.attempts += 1
    payment.succeeded_at = timezone.now()
    payment.next_retry_at = None
    _seen(payment, occurred_at)
    note = ""
    if order.status in AWAITING_PAYMENT:
        order_mark_paid(order=order, payment=payment)
    else:
        # Money arrived for an order that cannot take it (already paid, or cancelled).
        note = (
            f"Order {order.number} is {order.get_status_display().lower()}; this payment must "
            "be refunded or the order restored by hand."
        )
        payment.flagged, payment.flag_reason = True, note
    payment.save()
    return EventProcessingStatus.PROCESSED, note


def _apply_failure(
    order: Order, payment: Payment, occurred_at: datetime | None, message: str
) -> Outcome:
    if payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
        return (
            EventProcessingStatus.IGNORED,
            f"Payment {payment.pk} already {payment.status}; a failure cannot undo it.",
        )
    newer = occurred_at is not None and (
        payment.last_event_at is None or occurred_at > payment.last_event_at
    )
    if payment.status == PaymentStatus.FAILED and not newer:
        # A later attempt of the customer's fails with a newer event; this one adds nothing.
        return EventProcessingStatus.IGNORED, f"Payment {payment.pk} already failed."
    if occurred_at and payment.last_event_at and occurred_at < payment.last_event_at:
        return EventProcessingStatus.IGNORED, "Older than the last event applied to the payment."
    payment.status = PaymentStatus.FAILED
    payment.attempts += 1
    payment.failure_message = message[:500]
    _seen(payment, occurred_at)
    note = ""
    if order.status == OrderStatus.PENDING_PAYMENT:
        payment.save()
        attempts = order_charge_attempts(order)
        if attempts < settings.PAYMENT_RETRY_MAX_ATTEMPTS:
            payment.next_retry_at = timezone.now() + retry_delay(attempts)
            note = f"Attempt {attempts} failed; retry at {payment.next_retry_at.isoformat()}."
        else:
            order_mark_payment_failed(
                order=order, reason=f"Payment failed after {attempts} attempts: {message}"
            )
            note = f"Attempt {attempts} failed; no attempts left."
        notices.payment_failed_notify(order=order, retrying=payment.next_retry_at is not None)
    payment.save()
    return EventProcessingStatus.PROCESSED, note
