"""Refunds: requested by staff, carried out by a job through the provider, confirmed once.

Stripe refunds go through its Refund API; the answer (or a later `charge.refunded`
webhook) confirms them. ECPay refunds are made by a person in ECPay's merchant console:
the job marks them `manual`, and staff confirm them in the admin when done. The order
becomes `refunded` once confirmed refunds cover its payment; until then (a partial
refund) it keeps its status.
"""

import logging
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from commerce.errors import (
    InvalidOrderRequest,
    InvalidStateTransition,
    PaymentProviderUnavailable,
)
from commerce.models import (
    Order,
    Payment,
    PaymentProvider,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from commerce.models.orders import PAID_STATUSES
from commerce.models.payments import OPEN_OR_DONE_REFUNDS
from commerce.money import format_amount, from_minor, to_minor
from commerce.providers import stripe as stripe_provider
from commerce.providers import stripe_api as stripe_api_calls
from commerce.providers.errors import ProviderRefused, ProviderUnavailable
from commerce.services import notices
from commerce.services.orders import lock_order, order_mark_refunded
from commerce.services.payments import stripe_api
from jobs.errors import PermanentJobError, TransientJobError
from jobs.services import job_create

logger = logging.getLogger(__name__)

ECPAY_MANUAL_NOTE = (
    "ECPay refunds are made in ECPay's merchant console (vendor.ecpay.com.tw: credit card "
    "orders -> refund) for trade {trade}; then use the admin action 'Confirm refunds made in "
    "the provider's console'."
)


def _held(payment: Payment) -> int:
    """Minor units of the payment already refunded or on their way back."""
    total = payment.refunds.filter(status__in=OPEN_OR_DONE_REFUNDS).aggregate(s=Sum("amount_minor"))
    return total["s"] or 0


def _succeeded(payment: Payment) -> int:
    total = payment.refunds.filter(status=RefundStatus.SUCCEEDED).aggregate(s=Sum("amount_minor"))
    return total["s"] or 0


@transaction.atomic
def refund_request(
    *,
    order: Order,
    amount: Decimal | None = None,
    by: AbstractBaseUser | None = None,
    reason: str = "",
) -> Refund:
    """Start refunding a paid order, in full or `amount` of it; a job asks the provider."""
    order = lock_order(order.pk)
    if order.status not in PAID_STATUSES:
        raise InvalidStateTransition(
            f"Order {order.number} is {order.get_status_display().lower()}; only paid or "
            "fulfilled orders can be refunded."
        )
    payment = (
        Payment.objects.select_for_update()
        .filter(order=order, status=PaymentStatus.SUCCEEDED)
        .order_by("-succeeded_at", "-pk")
        .first()
    )
    if payment is None:
        raise InvalidStateTransition(f"Order {order.number} has no succeeded payment to refund.")
    refundable = payment.amount_minor - _held(payment)
    if amount is None:
        amount_minor = refundable
    else:
        try:
            amount_minor = to_minor(amount, payment.currency)
        except ValueError as exc:
            raise InvalidOrderRequest(str(exc)) from None
    if amount_minor <= 0 or amount_minor > refundable:
        raise InvalidOrderRequest(
            f"Order {order.number} can be refunded at most "
            f"{format_amount(max(refundable, 0), payment.currency)} {payment.currency} more."
            if refundable > 0
            else f"Order {order.number} is already refunded (or its refunds are on their way)."
        )
    refund = Refund.objects.create(
        order=order,
        payment=payment,
        amount_minor=amount_minor,
        currency=payment.currency,
        reason=(reason or "Refund requested")[:255],
        requested_by=by if by is not None and by.is_authenticated else None,
    )
    job_create(
        job_type="refund_payment",
        params={"refund_id": refund.pk},
        created_by=by if by is not None and by.is_authenticated else None,
        target=refund,
    )
    logger.info(
        "refund requested refund_id=%s order_id=%s payment_id=%s amount_minor=%s",
        refund.pk,
        order.pk,
        payment.pk,
        amount_minor,
    )
    return refund


def refund_execute(*, refund_id: int) -> dict[str, Any]:
    """Carry out one refund with its provider (the refund job); running it twice is safe."""
    refund = Refund.objects.select_related("payment", "order").filter(pk=refund_id).first()
    if refund is None:
        return {"refund_id": refund_id, "skipped": "no such refund"}
    if refund.status != RefundStatus.PENDING:
        return {"refund_id": refund_id, "skipped": f"already {refund.status}"}
    if refund.payment.provider == PaymentProvider.ECPAY:
        note = ECPAY_MANUAL_NOTE.format(trade=refund.payment.provider_reference)
        Refund.objects.filter(pk=refund.pk, status=RefundStatus.PENDING).update(
            status=RefundStatus.MANUAL, note=note
        )
        logger.info("refund to be made in ECPay's console refund_id=%s", refund.pk)
        return {"refund_id": refund_id, "status": RefundStatus.MANUAL, "note": note}
    return _refund_with_stripe(refund)


def _refund_with_stripe(refund: Refund) -> dict[str, Any]:
    payment = refund.payment
    if not payment.provider_reference:
        raise PermanentJobError(f"Payment {payment.pk} has no PaymentIntent to refund.")
    try:
        api = stripe_api()
        amount = stripe_provider.to_minor_units(
            from_minor(refund.amount_minor, refund.currency), refund.currency
        )
        result = stripe_api_calls.refund_create(
            api,
            payment_intent=payment.provider_reference,
            amount=amount,
            metadata={"order_id": str(refund.order_id), "refund_id": str(refund.pk)},
            # The same refund asks Stripe with the same key: a rerun refunds nothing twice.
            idempotency_key=f"reelhouse-{refund.order.number}-refund-{refund.pk}",
        )
    except ProviderUnavailable as exc:
        raise TransientJobError(str(exc)) from exc
    except (ProviderRefused, ValueError) as exc:
        raise PermanentJobError(str(exc)) from exc
    except PaymentProviderUnavailable as exc:  # no secret key configured
        raise PermanentJobError(exc.message) from exc
    if result.status == "succeeded":
        refund_mark_succeeded(refund_id=refund.pk, provider_reference=result.id)
    elif result.status in ("failed", "canceled"):
        raise PermanentJobError(
            f"Stripe refund {result.id} {result.status}: {result.failure_reason or 'no reason'}"
        )
    else:  # pending / requires_action: the charge.refunded webhook confirms it
        Refund.objects.filter(pk=refund.pk, status=RefundStatus.PENDING).update(
            status=RefundStatus.PROCESSING, provider_reference=result.id
        )
    logger.info(
        "stripe refund refund_id=%s stripe_refund=%s status=%s", refund.pk, result.id, result.status
    )
    return {"refund_id": refund.pk, "stripe_refund": result.id, "status": result.status}


@transaction.atomic
def refund_mark_succeeded(
    *, refund_id: int, provider_reference: str = "", by: AbstractBaseUser | None = None
) -> bool:
    """Record that the provider refunded; return False if it was recorded before."""
    order_id = Refund.objects.values_list("order_id", flat=True).get(pk=refund_id)
    order = lock_order(order_id)
    refund = Refund.objects.select_for_update().get(pk=refund_id)
    if refund.status == RefundStatus.SUCCEEDED:
        return False
    refund.status = RefundStatus.SUCCEEDED
    refund.completed_at = timezone.now()
    if provider_reference:
        refund.provider_reference = provider_reference
    refund.save(update_fields=["status", "completed_at", "provider_reference"])
    _settle(order, refund.payment, by=by or refund.requested_by)
    return True


def _settle(order: Order, payment: Payment, *, by: AbstractBaseUser | None) -> None:
    """Once confirmed refunds cover the payment: payment and order refunded, stock back."""
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    refunded = _succeeded(payment)
    if refunded < payment.amount_minor or payment.status == PaymentStatus.REFUNDED:
        logger.info("partial refund payment_id=%s refunded_minor=%s", payment.pk, refunded)
        return
    payment.status = PaymentStatus.REFUNDED
    payment.save(update_fields=["status", "updated_at"])
    if order.status in PAID_STATUSES:
        order_mark_refunded(
            order=order,
            reason=f"Refunded: {payment.get_provider_display()} payment {payment.pk}",
            by=by,
        )
        notices.order_status_notify(order=order, event="refunded")


def refund_fail(*, refund_id: int, error: str) -> None:
    """Record that a refund did not happen (its job failed for good)."""
    Refund.objects.filter(
        pk=refund_id, status__in=[RefundStatus.PENDING, RefundStatus.PROCESSING]
    ).update(status=RefundStatus.FAILED, note=error[:500], completed_at=timezone.now())
    logger.warning("refund failed refund_id=%s: %s", refund_id, error)


def refund_confirm_manual(*, refund: Refund, by: AbstractBaseUser | None = None) -> bool:
    """Confirm a refund a person made in the provider's console (ECPay)."""
    if refund.status != RefundStatus.MANUAL:
        raise InvalidStateTransition(
            f"Refund {refund.pk} is {refund.get_status_display().lower()}; only refunds waiting "
            "for the provider's console can be confirmed."
        )
    return refund_mark_succeeded(refund_id=refund.pk, by=by)


def stripe_charge_refunded(*, order: Order, payment: Payment, charge: dict[str, Any]) -> str:
    """Apply a `charge.refunded` webhook (order and payment locked by the caller).

    Stripe's answer names each refund (ours carry `refund_id` in their metadata); one made
    in Stripe's dashboard is recorded as a new refund. Without the list, `amount_refunded`
    confirms our refunds in the order they were asked for.
    """
    currency = payment.currency
    confirmed = []
    for item in (charge.get("refunds") or {}).get("data") or []:
        if item.get("status") != "succeeded" or not item.get("id"):
            continue
        refund = _refund_for(payment, item, currency)
        if refund_mark_succeeded(refund_id=refund.pk, provider_reference=item["id"]):
            confirmed.append(refund.pk)
    total = _from_stripe(charge.get("amount_refunded") or 0, currency)
    waiting = payment.refunds.filter(
        status__in=[RefundStatus.PENDING, RefundStatus.PROCESSING]
    ).order_by("pk")
    for refund in waiting:
        if _succeeded(payment) + refund.amount_minor > total:
            break
        if refund_mark_succeeded(refund_id=refund.pk):
            confirmed.append(refund.pk)
    missing = total - _succeeded(payment)
    if missing > 0:  # refunded outside Reelhouse (Stripe's dashboard)
        refund = Refund.objects.create(
            order=order,
            payment=payment,
            amount_minor=missing,
            currency=currency,
            reason="Refunded in Stripe's dashboard",
        )
        refund_mark_succeeded(refund_id=refund.pk)
        confirmed.append(refund.pk)
    return f"Refunds confirmed: {confirmed or 'none new'}."


def _refund_for(payment: Payment, item: dict[str, Any], currency: str) -> Refund:
    ours = (item.get("metadata") or {}).get("refund_id")
    refund = payment.refunds.filter(provider_reference=item["id"]).first()
    if refund is None and str(ours or "").isdigit():
        refund = payment.refunds.filter(pk=int(ours)).first()
    if refund is None:
        refund = Refund.objects.create(
            order=payment.order,
            payment=payment,
            amount_minor=_from_stripe(item.get("amount") or 0, currency),
            currency=currency,
            provider_reference=item["id"],
            reason="Refunded in Stripe's dashboard",
        )
    return refund


def _from_stripe(amount: int, currency: str) -> int:
    """Stripe's minor units of `currency` as ours (they differ for a few currencies)."""
    exponent = stripe_provider.stripe_exponent(currency)
    return to_minor(Decimal(int(amount)).scaleb(-exponent), currency)
