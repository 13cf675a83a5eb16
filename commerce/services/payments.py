"""Starting a payment for an order, and re-opening failed ones for another attempt."""

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from commerce.errors import (
    CommerceError,
    InvalidOrderRequest,
    InvalidStateTransition,
    PaymentProviderError,
    PaymentProviderUnavailable,
)
from commerce.models import Order, OrderStatus, Payment, PaymentProvider, PaymentStatus
from commerce.models.orders import AWAITING_PAYMENT
from commerce.providers import ecpay
from commerce.providers import stripe as stripe_provider
from commerce.providers import stripe_api as stripe_api_calls
from commerce.providers.errors import ProviderRefused, ProviderUnavailable
from commerce.providers.stripe_api import StripeApi
from commerce.services import notices
from commerce.services.orders import lock_order
from jobs.services import job_create

logger = logging.getLogger(__name__)

_TRADE_NO_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class PaymentStart:
    payment: Payment
    # What the client needs: Stripe PaymentIntent fields, or ECPay's signed form.
    instructions: dict[str, Any]


def _merchant_trade_no() -> str:
    """A fresh 20-character MerchantTradeNo (ECPay refuses a number it has seen)."""
    return "RH" + "".join(secrets.choice(_TRADE_NO_ALPHABET) for _ in range(18))


def _ecpay_amount(order: Order) -> int:
    total = order.total
    if order.currency != "TWD" or total != total.to_integral_value():
        raise InvalidOrderRequest(
            f"ECPay takes whole New Taiwan dollars; order {order.number} is "
            f"{total} {order.currency}. Pay it with Stripe instead."
        )
    return int(total)


def _start_ecpay(order: Order) -> PaymentStart:
    if not (settings.ECPAY_MERCHANT_ID and settings.ECPAY_HASH_KEY and settings.ECPAY_HASH_IV):
        raise PaymentProviderUnavailable("ECPay is not configured on this shop; pay with Stripe.")
    amount = _ecpay_amount(order)
    payment = Payment.objects.create(
        order=order,
        provider=PaymentProvider.ECPAY,
        provider_reference=_merchant_trade_no(),
        amount_minor=order.total_minor,
        currency=order.currency,
    )
    fields = ecpay.checkout_params(
        merchant_id=settings.ECPAY_MERCHANT_ID,
        merchant_trade_no=payment.provider_reference,
        trade_date=timezone.now(),
        total_amount=amount,
        trade_desc=f"Reelhouse order {order.number}",
        item_name="#".join(f"{item.name} x {item.quantity}" for item in order.items.all())[:400],
        return_url=f"{settings.PUBLIC_BASE_URL.rstrip('/')}/api/v1/webhooks/payments/ecpay/",
        hash_key=settings.ECPAY_HASH_KEY,
        hash_iv=settings.ECPAY_HASH_IV,
    )
    return PaymentStart(payment, {"action": settings.ECPAY_CHECKOUT_URL, "fields": fields})


def stripe_api() -> StripeApi:
    """The Stripe API as configured; 503 when no secret key is set."""
    if not settings.STRIPE_SECRET_KEY:
        raise PaymentProviderUnavailable("Stripe is not configured on this shop; pay with ECPay.")
    return StripeApi(
        secret_key=settings.STRIPE_SECRET_KEY,
        api_base=settings.STRIPE_API_BASE,
        timeout=settings.STRIPE_API_TIMEOUT_SECONDS,
    )


def provider_error(exc: Exception) -> CommerceError:
    """The API error a provider failure becomes: 503 to try later, 502 when it refused."""
    if isinstance(exc, ProviderUnavailable):
        return PaymentProviderUnavailable(f"{exc} Nothing was charged; try again shortly.")
    return PaymentProviderError(f"{exc} Nothing was charged.")


@transaction.atomic
def _stripe_attempt(*, order: Order) -> tuple[Payment, int, bool]:
    """The order's open Stripe payment attempt (created if none): payment, amount, created."""
    order = _lock_unpaid(order)
    try:
        amount = stripe_provider.to_minor_units(order.total, order.currency)
    except ValueError as exc:
        raise InvalidOrderRequest(f"Stripe cannot charge this order: {exc}") from None
    # One open PaymentIntent per order: asking again returns the same pending payment.
    payment = (
        order.payments.filter(provider=PaymentProvider.STRIPE, status=PaymentStatus.PENDING)
        .order_by("-pk")
        .first()
    )
    if payment is not None:
        return payment, amount, False
    payment = Payment.objects.create(
        order=order,
        provider=PaymentProvider.STRIPE,
        amount_minor=order.total_minor,
        currency=order.currency,
    )
    return payment, amount, True


def payment_idempotency_key(payment: Payment) -> str:
    """Stripe's idempotency key of a payment attempt: the same attempt, the same intent.

    The order's random number keeps keys of a reset database from meeting old ones.
    """
    return f"reelhouse-{payment.order.number}-payment-{payment.pk}"


def _stripe_discard(payment: Payment) -> None:
    """Delete an attempt Stripe never took, so a failed call leaves nothing behind."""
    with transaction.atomic():
        Payment.objects.filter(
            pk=payment.pk, provider_reference="", attempts=0, events__isnull=True
        ).delete()


def _stripe_adopt(payment: Payment, intent_id: str) -> str:
    """Store the intent on the payment unless another request did first; return the stored id."""
    with transaction.atomic():
        Payment.objects.filter(pk=payment.pk, provider_reference="").update(
            provider_reference=intent_id, updated_at=timezone.now()
        )
        return Payment.objects.get(pk=payment.pk).provider_reference


def _start_stripe(*, order: Order) -> PaymentStart:
    """Create (or give back) the PaymentIntent of the order's open Stripe payment.

    The payment row is committed before Stripe is called (no network call inside a
    transaction) and its id makes the idempotency key, so asking again for the same
    attempt gets the same PaymentIntent even if an earlier answer was lost. A failed call
    removes the attempt it created: the client gets a 502/503 and nothing half-written.
    """
    api = stripe_api()
    payment, amount, created = _stripe_attempt(order=order)
    metadata = {"order_id": str(payment.order_id), "payment_id": str(payment.pk)}
    try:
        if payment.provider_reference:
            intent = stripe_api_calls.payment_intent_retrieve(api, payment.provider_reference)
        else:
            intent = stripe_api_calls.payment_intent_create(
                api,
                amount=amount,
                currency=payment.currency,
                metadata=metadata,
                idempotency_key=payment_idempotency_key(payment),
            )
    except (ProviderUnavailable, ProviderRefused) as exc:
        if created:
            _stripe_discard(payment)
        logger.warning("stripe call failed payment_id=%s: %s", payment.pk, exc)
        raise provider_error(exc) from exc
    stored = _stripe_adopt(payment, intent.id)
    if stored != intent.id:  # a concurrent request stored its intent first: answer that one
        try:
            intent = stripe_api_calls.payment_intent_retrieve(api, stored)
        except (ProviderUnavailable, ProviderRefused) as exc:
            raise provider_error(exc) from exc
    payment.refresh_from_db()
    instructions = {
        "payment_intent": intent.id,
        "client_secret": intent.client_secret,
        "amount": amount,
        "currency": payment.currency.lower(),
        "metadata": metadata,
    }
    return PaymentStart(payment, instructions)


def _lock_unpaid(order: Order) -> Order:
    order = lock_order(order.pk)
    if order.status not in AWAITING_PAYMENT:
        raise InvalidStateTransition(
            f"Order {order.number} is {order.get_status_display().lower()}; only unpaid orders "
            "can be paid."
        )
    return order


@transaction.atomic
def _start_ecpay_locked(*, order: Order) -> PaymentStart:
    return _start_ecpay(_lock_unpaid(order))


def payment_start(*, order: Order, provider: str, user: AbstractBaseUser) -> PaymentStart:
    """Open a payment for an unpaid order and return what the client needs to pay it."""
    if provider == PaymentProvider.ECPAY:
        started = _start_ecpay_locked(order=order)
    elif provider == PaymentProvider.STRIPE:
        started = _start_stripe(order=order)
    else:
        raise InvalidOrderRequest(f"Unknown payment provider {provider!r}; use stripe or ecpay.")
    logger.info(
        "payment started payment_id=%s order_id=%s provider=%s user_id=%s",
        started.payment.pk,
        order.pk,
        provider,
        user.pk,
    )
    return started


def order_charge_attempts(order: Order) -> int:
    """Charge attempts the providers reported for this order, over all its payments."""
    return order.payments.aggregate(total=Sum("attempts"))["total"] or 0


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff before asking again: base, 2x base, 4x base ..."""
    base = settings.PAYMENT_RETRY_BACKOFF_SECONDS
    return timedelta(seconds=base * 2 ** max(0, attempts - 1))


def payment_retries_schedule(*, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Create a retry_failed_payment job for each payment whose retry is due."""
    now = now or timezone.now()
    due = Payment.objects.filter(next_retry_at__lte=now, status=PaymentStatus.FAILED)
    scheduled = []
    for payment_id in due.order_by("next_retry_at").values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            # Clearing next_retry_at claims the retry: a second sweep finds nothing.
            claimed = Payment.objects.filter(pk=payment_id, next_retry_at__lte=now).update(
                next_retry_at=None
            )
            if not claimed:
                continue
            payment = Payment.objects.get(pk=payment_id)
            job_create(
                job_type="retry_failed_payment", params={"payment_id": payment_id}, target=payment
            )
        scheduled.append(payment_id)
    return scheduled


@transaction.atomic
def payment_retry(*, payment_id: int) -> dict[str, Any]:
    """Re-open a failed payment for another attempt and ask the customer to complete it.

    Reelhouse only learns of charges through webhooks, so the customer makes the attempt
    (confirming the Stripe PaymentIntent again, or paying ECPay's form anew); its
    outcome arrives as a new event.
    """
    payment = Payment.objects.select_related("order").get(pk=payment_id)
    order = lock_order(payment.order_id)
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status != PaymentStatus.FAILED or order.status != OrderStatus.PENDING_PAYMENT:
        return {"payment_id": payment_id, "retried": False, "reason": "nothing to retry"}
    payment.status = PaymentStatus.PENDING
    payment.save(update_fields=["status", "updated_at"])
    payment.order = order
    notices.payment_retry_notify(payment=payment)
    logger.info("payment re-opened payment_id=%s order_id=%s", payment.pk, order.pk)
    return {"payment_id": payment_id, "retried": True, "attempt": order_charge_attempts(order) + 1}
