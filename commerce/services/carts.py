"""Carts: add, change and remove items; remind owners of carts they left."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from commerce.errors import InvalidOrderRequest, ProductUnavailable
from commerce.models import Cart, CartItem, Product
from commerce.services import notices

logger = logging.getLogger(__name__)

MAX_QUANTITY = 999


def _touch(cart: Cart) -> None:
    cart.updated_at = timezone.now()
    Cart.objects.filter(pk=cart.pk).update(updated_at=cart.updated_at)


def _check(product: Product, quantity: int) -> None:
    if not product.active:
        raise ProductUnavailable.off_sale(product.pk)
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidOrderRequest(f"Quantity must be between 1 and {MAX_QUANTITY}.")


@transaction.atomic
def cart_create(*, user: AbstractBaseUser) -> Cart:
    """Start an empty cart for the user."""
    return Cart.objects.create(user=user)


@transaction.atomic
def cart_item_add(*, cart: Cart, product: Product, quantity: int = 1) -> CartItem:
    """Put `quantity` more of a product in the cart."""
    item = CartItem.objects.select_for_update().filter(cart=cart, product=product).first()
    total = quantity + (item.quantity if item else 0)
    _check(product, total)
    if item is None:
        item = CartItem.objects.create(cart=cart, product=product, quantity=quantity)
    else:
        item.quantity = total
        item.save(update_fields=["quantity"])
    _touch(cart)
    return item


@transaction.atomic
def cart_item_update(*, cart: Cart, product: Product, quantity: int) -> CartItem:
    """Set how many of a product the cart holds."""
    _check(product, quantity)
    item, _ = CartItem.objects.update_or_create(
        cart=cart, product=product, defaults={"quantity": quantity}
    )
    _touch(cart)
    return item


@transaction.atomic
def cart_item_remove(*, cart: Cart, product: Product) -> bool:
    """Take a product out of the cart; return False if it was not there."""
    deleted, _ = CartItem.objects.filter(cart=cart, product=product).delete()
    if deleted:
        _touch(cart)
    return bool(deleted)


def abandoned_carts(*, now: datetime | None = None):
    """Carts with items, idle past CART_ABANDONED_AFTER_HOURS, not reminded since they changed."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.CART_ABANDONED_AFTER_HOURS)
    has_items = Exists(CartItem.objects.filter(cart=OuterRef("pk")))
    return Cart.objects.filter(has_items, updated_at__lt=cutoff).filter(
        Q(reminder_sent_at__isnull=True) | Q(reminder_sent_at__lt=F("updated_at"))
    )


def carts_remind_abandoned(*, now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Email each abandoned cart's owner once; a cart changed later may be reminded again."""
    now = now or timezone.now()
    reminded = []
    for cart_id in abandoned_carts(now=now).order_by("pk").values_list("pk", flat=True)[:limit]:
        with transaction.atomic():
            # The conditional update claims the reminder, so a rerun cannot send it twice.
            claimed = abandoned_carts(now=now).filter(pk=cart_id).update(reminder_sent_at=now)
            if not claimed:
                continue
            cart = Cart.objects.select_related("user").get(pk=cart_id)
            if notices.cart_reminder_notify(cart=cart):
                reminded.append(cart_id)
    logger.info("abandoned cart reminders sent=%s", len(reminded))
    return reminded
