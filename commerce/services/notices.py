"""What commerce tells people, by email and SMS: the template and context of each message.

Each message is sent as the `message_requested` signal inside the caller's transaction;
the notifications app (which commerce does not import) writes it as a Notification row and
its sending job with the change it reports, sent once that commits.
"""

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse

from commerce.models import (
    Cart,
    CustomerProfile,
    DailySalesReport,
    MessageLanguage,
    Order,
    Payment,
)
from commerce.money import format_amount
from commerce.signals import message_requested

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


def user_language(user: AbstractBaseUser) -> str:
    """The language of the user's messages: their profile's, else the site's (en or zh-hant)."""
    chosen = (
        CustomerProfile.objects.filter(user=user).values_list("language", flat=True).first() or ""
    )
    if chosen in MessageLanguage.values:
        return chosen
    site = settings.LANGUAGE_CODE.lower()
    return MessageLanguage.TRADITIONAL_CHINESE if site.startswith("zh") else MessageLanguage.ENGLISH


def _send(**message: Any) -> None:
    related = message.get("related")
    message_requested.send(sender=type(related) if related is not None else None, **message)


def _email(user: AbstractBaseUser, template: str, context: dict, related: Any) -> None:
    if not user.email:
        logger.info("no email for user_id=%s; %s not sent", user.pk, template)
        return
    _send(
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
        _send(
            channel="sms",
            recipient=phone,
            template=template,
            context=context,
            related=related,
            user=user,
        )


# What customers are told about, each a template pair (email and SMS) per language:
# templates/{emails,sms}/commerce/<language>/order_<event>.txt
ORDER_EVENTS = frozenset(
    {"placed", "paid", "payment_failed", "fulfilled", "cancelled", "expired", "refunded"}
)


def order_status_notify(*, order: Order, event: str, **extra: Any) -> None:
    """Tell the customer what happened to their order: by SMS when they have a verified
    phone, and by email when they have an address, in their language."""
    if event not in ORDER_EVENTS:
        raise ValueError(f"Unknown order event {event!r}.")
    user = order.user
    template = f"commerce/{user_language(user)}/order_{event}"
    context = {**_order_context(order), **extra}
    _email(user, template, context, order)
    _sms(user, template, context, order)


def order_placed_notify(*, order: Order) -> None:
    """Confirm a new order: by email, or by SMS to a customer who signed up by phone only."""
    user = order.user
    template = f"commerce/{user_language(user)}/order_placed"
    context = _order_context(order)
    if user.email:
        _email(user, template, context, order)
    else:
        _sms(user, template, context, order)


def order_paid_notify(*, order: Order) -> None:
    """Confirm the payment by email and SMS."""
    order_status_notify(order=order, event="paid")


def payment_failed_notify(*, order: Order, retrying: bool) -> None:
    """Tell the customer their payment failed, and whether they can still pay."""
    order_status_notify(order=order, event="payment_failed", retrying=retrying)


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
    _send(
        channel="sms",
        recipient=phone,
        template="commerce/otp_code",
        context={"code": code, "minutes": max(1, ttl_seconds // 60)},
        urgent=True,
    )
