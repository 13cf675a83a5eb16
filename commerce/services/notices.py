"""What commerce tells people, by email and SMS, through notifications.notification_send.

Called inside the caller's transaction: the Notification row and its sending job are
written with the change they report, and sent once it commits.
"""

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse

from commerce.models import Cart, CustomerProfile, DailySalesReport, Order, Payment
from commerce.money import format_amount
from notifications.services import notification_send

logger = logging.getLogger(__name__)


def _order_context(order: Order) -> dict[str, Any]:
    return {
        "order_id": order.pk,
        "order_number": order.number,
        "status": order.get_status_display(),
        "total": format_amount(order.total_minor, order.currency),
        "currency": order.currency,
        "payment_due_at": order.payment_due_at.isoformat(),
        "items": [
            {
                "name": item.name,
                "sku": item.sku,
                "quantity": item.quantity,
                "line_total": format_amount(item.line_total_minor, order.currency),
            }
            for item in order.items.all()
        ],
        "site_url": settings.PUBLIC_BASE_URL,
    }


def user_phone(user: AbstractBaseUser) -> str:
    """Return the user's verified phone number, or "" when they have none."""
    profile = CustomerProfile.objects.filter(user=user, phone__isnull=False).first()
    return profile.phone if profile else ""


def _email(user: AbstractBaseUser, template: str, context: dict, related: Any) -> None:
    if not user.email:
        logger.info("no email for user_id=%s; %s not sent", user.pk, template)
        return
    notification_send(
        channel="email",
        recipient=user.email,
        template=template,
        context=context,
        related=related,
        user=user,
    )


def _sms(user: AbstractBaseUser, template: str, context: dict, related: Any) -> None:
    phone = user_phone(user)
    if phone:
        notification_send(
            channel="sms",
            recipient=phone,
            template=template,
            context=context,
            related=related,
            user=user,
        )


def order_placed_notify(*, order: Order) -> None:
    """Email the customer that their order is reserved and awaiting payment."""
    _email(order.user, "commerce/order_confirmation", _order_context(order), order)


def order_paid_notify(*, order: Order) -> None:
    """Email the payment confirmation and text the new order status."""
    context = _order_context(order)
    _email(order.user, "commerce/payment_confirmation", context, order)
    _sms(order.user, "commerce/order_status", context, order)


def order_status_notify(*, order: Order) -> None:
    """Text the customer their order's new status (and email it when they have an address)."""
    context = _order_context(order)
    _sms(order.user, "commerce/order_status", context, order)


def payment_failed_notify(*, order: Order, retrying: bool) -> None:
    """Tell the customer their payment failed, and whether they can still pay."""
    context = {**_order_context(order), "retrying": retrying}
    _email(order.user, "commerce/payment_failed", context, order)
    _sms(order.user, "commerce/order_status", context, order)


def payment_retry_notify(*, payment: Payment) -> None:
    """Ask the customer to complete a payment that failed before."""
    order = payment.order
    context = {
        **_order_context(order),
        "attempt": payment.attempts + 1,
        "max_attempts": settings.PAYMENT_RETRY_MAX_ATTEMPTS,
        "failure_message": payment.failure_message,
    }
    _email(order.user, "commerce/payment_retry", context, payment)


def cart_reminder_notify(*, cart: Cart) -> bool:
    """Remind the cart's owner of the items they left; return False if they have no email."""
    if not cart.user.email:
        return False
    items = [{"name": item.product.name, "quantity": item.quantity} for item in cart.items.all()]
    context = {"cart_id": cart.pk, "items": items, "site_url": settings.PUBLIC_BASE_URL}
    _email(cart.user, "commerce/cart_reminder", context, cart)
    return True


def _absolute(url: str) -> str:
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{url}" if url.startswith("/") else url


def sales_report_notify(*, report: DailySalesReport) -> int:
    """Email the day's sales summary to every active staff user with an email; return count."""
    staff = get_user_model().objects.filter(is_staff=True, is_active=True).exclude(email="")
    context = {
        "date": report.date.isoformat(),
        "orders_count": report.orders_count,
        "items_count": report.items_count,
        "totals": report.totals,
        "rows": report.rows[:20],
        # Media links expire within the hour, so the email links the report's admin page,
        # which signs a fresh download link for whoever signs in.
        "csv_url": _absolute(reverse("admin:commerce_dailysalesreport_change", args=[report.pk]))
        if report.csv_file
        else "",
    }
    sent = 0
    for user in staff.order_by("pk"):
        _email(user, "commerce/daily_sales_report", context, report)
        sent += 1
    return sent


def otp_code_send(*, phone: str, code: str, ttl_seconds: int) -> None:
    """Text a one-time code on the high-priority queue."""
    notification_send(
        channel="sms",
        recipient=phone,
        template="commerce/otp_code",
        context={"code": code, "minutes": max(1, ttl_seconds // 60)},
        urgent=True,
    )
