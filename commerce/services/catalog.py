"""Products: create and change them (staff)."""

import re
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction

from commerce.errors import ProductUnavailable
from commerce.models import OrderItem, Product
from commerce.money import currency_exponent
from config.errors import InvalidRequest

_CURRENCY = re.compile(r"[A-Z]{3}")
EDITABLE_FIELDS = ("sku", "name", "price", "currency", "stock", "active")


def _check_money(price: Decimal, currency: str) -> None:
    if not _CURRENCY.fullmatch(currency):
        raise InvalidRequest(errors={"currency": ["Use a three-letter ISO 4217 code, e.g. TWD."]})
    exponent = currency_exponent(currency)
    if exponent > 2:
        raise InvalidRequest(errors={"currency": [f"{currency} uses 3 decimals; prices have 2."]})
    if price != price.quantize(Decimal(1).scaleb(-exponent)):
        raise InvalidRequest(
            errors={"price": [f"{currency} prices can have at most {exponent} decimal places."]}
        )


@transaction.atomic
def product_create(
    *,
    sku: str,
    name: str,
    price: Decimal,
    currency: str | None = None,
    stock: int = 0,
    active: bool = True,
) -> Product:
    """Add a product to the catalogue (priced in SHOP_CURRENCY unless told otherwise)."""
    currency = (currency or settings.SHOP_CURRENCY).upper()
    _check_money(price, currency)
    if Product.objects.filter(sku=sku).exists():
        raise InvalidRequest(errors={"sku": [f"A product with SKU {sku} already exists."]})
    return Product.objects.create(
        sku=sku, name=name, price=price, currency=currency, stock=stock, active=active
    )


@transaction.atomic
def product_update(*, product: Product, **changes: Any) -> Product:
    """Change a product's fields; stock set here is the new on-shelf count."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    product = Product.objects.select_for_update().get(pk=product.pk)
    if "currency" in changes:
        changes["currency"] = changes["currency"].upper()
    if (
        "sku" in changes
        and Product.objects.filter(sku=changes["sku"]).exclude(pk=product.pk).exists()
    ):
        raise InvalidRequest(
            errors={"sku": [f"A product with SKU {changes['sku']} already exists."]}
        )
    for field, value in changes.items():
        setattr(product, field, value)
    _check_money(product.price, product.currency)
    product.save()
    return product


@transaction.atomic
def product_delete(*, product: Product) -> None:
    """Delete a product nobody ordered; ordered ones are kept for the orders' history."""
    if OrderItem.objects.filter(product=product).exists():
        raise ProductUnavailable(
            f"{product.name!r} (SKU {product.sku}) has been ordered and cannot be deleted; "
            "set active to false to take it off sale."
        )
    product.delete()
