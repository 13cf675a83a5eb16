"""Payment webhooks in: verify, store once, hand to a job — nothing is processed here.

A callback is answered as soon as its PaymentEvent row (unique per provider event id) and
the job that will process it are committed. A redelivered callback finds the row and is
acknowledged without a second job. Rejected callbacks (bad signature, malformed body,
unknown order) are logged with the reason and never stored as events.
"""

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from commerce.errors import WebhookRejected
from commerce.models import (
    EventProcessingStatus,
    Order,
    Payment,
    PaymentEvent,
    PaymentProvider,
)
from commerce.providers import MalformedEvent, SignatureError, ecpay
from commerce.providers import stripe as stripe_provider
from jobs.services import job_create

logger = logging.getLogger(__name__)

# Stripe events that move payments; any other type is stored and acknowledged only.
STRIPE_HANDLED_TYPES = frozenset(
    {"payment_intent.succeeded", "payment_intent.payment_failed", "charge.refunded"}
)


@dataclass(frozen=True)
class Intake:
    event: PaymentEvent
    created: bool


def _reject(provider: str, reason: str, code: str, remote: str) -> WebhookRejected:
    logger.warning(
        "payment webhook rejected provider=%s code=%s remote=%s: %s", provider, code, remote, reason
    )
    return WebhookRejected(reason, code=code)


def _store(
    *,
    provider: str,
    event_id: str,
    event_type: str,
    payload: dict[str, Any],
    occurred_at: datetime | None,
    order: Order | None,
    payment: Payment | None = None,
    process: bool,
) -> Intake:
    """Insert the event and its processing job once; a duplicate returns the stored row."""
    try:
        with transaction.atomic():
            event = PaymentEvent.objects.create(
                provider=provider,
                provider_event_id=event_id,
                event_type=event_type,
                payload=payload,
                signature_verified=True,
                occurred_at=occurred_at,
                order=order,
                payment=payment,
                processing_status=(
                    EventProcessingStatus.PENDING if process else EventProcessingStatus.IGNORED
                ),
                processed_at=None if process else timezone.now(),
                processing_error="" if process else f"{event_type} events are not handled.",
            )
            if process:
                job_create(
                    job_type="process_payment_event", params={"event_id": event.pk}, target=event
                )
    except IntegrityError:
        existing = PaymentEvent.objects.filter(
            provider=provider, provider_event_id=event_id
        ).first()
        if existing is None:  # the constraint that failed was not ours: a real error
            raise
        logger.info("payment webhook duplicate provider=%s event=%s", provider, event_id)
        return Intake(existing, created=False)
    logger.info(
        "payment webhook stored event_pk=%s provider=%s event=%s type=%s order_id=%s",
        event.pk,
        provider,
        event_id,
        event_type,
        order.pk if order else None,
    )
    return Intake(event, created=True)


def _order_for_stripe(order_ref: str | None) -> Order | None:
    if not order_ref:
        return None
    if order_ref.isdigit():
        return Order.objects.filter(pk=int(order_ref)).first()
    return Order.objects.filter(number=order_ref).first()


def _order_for_refunded_charge(event: stripe_provider.StripeEvent, remote: str) -> Order:
    """A charge names its PaymentIntent, which one of our payments holds."""
    intent_id = event.raw["data"]["object"].get("payment_intent")
    payment = (
        Payment.objects.filter(provider=PaymentProvider.STRIPE, provider_reference=intent_id)
        .select_related("order")
        .first()
        if isinstance(intent_id, str) and intent_id
        else None
    )
    if payment is None:
        raise _reject(
            "stripe", f"No payment for PaymentIntent {intent_id!r}.", "unknown_order", remote
        )
    return payment.order


def stripe_webhook_receive(*, body: bytes, signature_header: str, remote: str = "") -> Intake:
    """Verify and store one Stripe webhook delivery; raise WebhookRejected if unusable."""
    if not settings.STRIPE_WEBHOOK_SECRET:
        # An empty secret would accept signatures anyone can make.
        raise _reject("stripe", "Stripe webhooks are not configured.", "not_configured", remote)
    try:
        stripe_provider.verify_signature(
            body,
            signature_header,
            settings.STRIPE_WEBHOOK_SECRET,
            tolerance=settings.STRIPE_WEBHOOK_TOLERANCE_SECONDS,
        )
    except SignatureError as exc:
        raise _reject("stripe", str(exc), "invalid_signature", remote) from None
    try:
        event = stripe_provider.parse_event(body)
    except MalformedEvent as exc:
        raise _reject("stripe", str(exc), "malformed_event", remote) from None
    handled = event.type in STRIPE_HANDLED_TYPES
    order = None
    if event.type == "charge.refunded":
        order = _order_for_refunded_charge(event, remote)
    elif handled:
        if not event.order_id:
            raise _reject(
                "stripe",
                f"{event.type} has no data.object.metadata.order_id naming a Reelhouse order.",
                "unknown_order",
                remote,
            )
        order = _order_for_stripe(event.order_id)
        if order is None:
            raise _reject(
                "stripe", f"No order {event.order_id!r} for this payment.", "unknown_order", remote
            )
        if event.amount is None or not event.currency:
            raise _reject(
                "stripe", f"{event.type} has no amount and currency.", "malformed_event", remote
            )
    return _store(
        provider=PaymentProvider.STRIPE,
        event_id=event.id,
        event_type=event.type,
        payload=event.raw,
        occurred_at=datetime.fromtimestamp(event.created, tz=UTC),
        order=order,
        process=handled,
    )


def _ecpay_occurred_at(payment_date: str) -> datetime | None:
    try:
        naive = datetime.strptime(payment_date, ecpay.TRADE_DATE_FORMAT)
    except ValueError:
        return None
    return naive.replace(tzinfo=ecpay.TAIWAN)


def _ecpay_event_id(notification: ecpay.EcpayNotification) -> str:
    event_id = f"{notification.merchant_trade_no}:{notification.trade_no}"
    # A simulated notification must never shadow the real one for the same trade.
    return f"{event_id}:simulated" if notification.simulate_paid else event_id


def ecpay_notification_receive(*, params: dict[str, str], remote: str = "") -> Intake:
    """Verify and store one ECPay payment notification; raise WebhookRejected if unusable."""
    if not (settings.ECPAY_HASH_KEY and settings.ECPAY_HASH_IV and settings.ECPAY_MERCHANT_ID):
        raise _reject("ecpay", "ECPay is not configured.", "not_configured", remote)
    try:
        ecpay.verify(params, settings.ECPAY_HASH_KEY, settings.ECPAY_HASH_IV)
    except SignatureError as exc:
        raise _reject("ecpay", str(exc), "invalid_signature", remote) from None
    try:
        notification = ecpay.parse_notification(params)
    except MalformedEvent as exc:
        raise _reject("ecpay", str(exc), "malformed_event", remote) from None
    if notification.merchant_id != settings.ECPAY_MERCHANT_ID:
        raise _reject(
            "ecpay",
            f"MerchantID {notification.merchant_id} is not this shop's.",
            "invalid_signature",
            remote,
        )
    payment = (
        Payment.objects.filter(
            provider=PaymentProvider.ECPAY, provider_reference=notification.merchant_trade_no
        )
        .select_related("order")
        .first()
    )
    if payment is None:
        raise _reject(
            "ecpay",
            f"No payment with MerchantTradeNo {notification.merchant_trade_no}.",
            "unknown_order",
            remote,
        )
    return _store(
        provider=PaymentProvider.ECPAY,
        event_id=_ecpay_event_id(notification),
        event_type="payment.simulated" if notification.simulate_paid else "payment.result",
        payload=notification.raw,
        occurred_at=_ecpay_occurred_at(notification.payment_date),
        order=payment.order,
        payment=payment,
        process=True,
    )


def stripe_payload(event: PaymentEvent) -> stripe_provider.StripeEvent:
    """Parse a stored Stripe event again (the processing job's view of it)."""
    return stripe_provider.parse_event(json.dumps(event.payload).encode())
