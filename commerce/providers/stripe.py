"""Stripe webhooks: the `Stripe-Signature` check (the `stripe` library's), event parsing and
minor-unit amounts."""

import json
import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import stripe

from .errors import MalformedEvent, SignatureError

DEFAULT_TOLERANCE = 300

# Stripe's documented zero-decimal currencies: amounts are whole units, not multiplied by 100.
ZERO_DECIMAL_CURRENCIES = frozenset(
    {
        "bif",
        "clp",
        "djf",
        "gnf",
        "jpy",
        "kmf",
        "krw",
        "mga",
        "pyg",
        "rwf",
        "ugx",
        "vnd",
        "vuv",
        "xaf",
        "xof",
        "xpf",
    }
)

# Three-decimal currencies: amounts are multiplied by 1000 and Stripe's payment partners
# require the last digit to be 0 (KWD 5.124 must become 5120 or 5130).
THREE_DECIMAL_CURRENCIES = frozenset({"bhd", "jod", "kwd", "omr", "tnd"})

# Stripe's "special cases" keep these two-decimal in the API (x100) for backwards
# compatibility, but only whole units can move:
# - ISK: card networks accept whole krona only, so charges must be divisible by 100.
# - HUF and TWD: charges may carry cents, but payouts must be whole units (divisible by
#   100). That constrains payouts, not charges, so they convert like any two-decimal currency.
# UGX is on the zero-decimal list above and converts x1.
WHOLE_UNITS_ONLY_CURRENCIES = frozenset({"isk"})


def sign(payload: bytes, secret: str, *, timestamp: int) -> str:
    """Build a `Stripe-Signature` header value for a payload, as Stripe does (tests, bench)."""
    return stripe.WebhookSignature.generate_signature_header(
        payload.decode(), secret, timestamp=timestamp
    )


def verify_signature(
    payload: bytes, header: str, secret: str, *, tolerance: int = DEFAULT_TOLERANCE
) -> None:
    """Raise SignatureError unless `header` signs `payload` with `secret` recently enough.

    The `stripe` library's verifier checks the signatures and that the timestamp is not
    older than `tolerance`. Checks are added: the header must be ASCII, its timestamp one whole
    number in ASCII digits (the library's `int()` also takes " 12" and other scripts' digits
    and answers every malformed header alike), and a timestamp more than `tolerance` in the
    future is refused as well (the library accepts it, and it would outlive any replay window).
    """
    if not header or not header.strip():
        raise SignatureError("Missing Stripe-Signature header")
    if not header.isascii():  # the library's compare_digest raises TypeError on these
        raise SignatureError("Stripe-Signature header is not ASCII")
    timestamp = _timestamp(header)
    try:
        stripe.WebhookSignature.verify_header(payload.decode(), header, secret, tolerance)
    except UnicodeDecodeError as exc:
        raise SignatureError("Webhook body is not UTF-8 text") from exc
    except stripe.SignatureVerificationError as exc:
        raise SignatureError(exc.user_message or str(exc)) from exc
    if timestamp > time.time() + tolerance:
        raise SignatureError(f"Timestamp outside the tolerance zone ({timestamp})")


def _timestamp(header: str) -> int:
    """The header's one `t=` value, refused with a clear message unless it is plain digits."""
    timestamps = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if sep and key == "t":
            timestamps.append(value.strip())
    if not timestamps:
        raise SignatureError("Stripe-Signature header has no timestamp (t=)")
    if len(timestamps) > 1:
        raise SignatureError("Stripe-Signature header has more than one timestamp")
    if not (timestamps[0].isascii() and timestamps[0].isdigit()):
        raise SignatureError("Stripe-Signature header timestamp is not a whole number")
    return int(timestamps[0])


@dataclass(frozen=True)
class StripeEvent:
    """The fields of a Stripe event that order handling needs, plus the raw event."""

    id: str
    type: str
    created: int
    object_id: str | None
    amount: int | None
    currency: str | None
    order_id: str | None
    raw: dict[str, Any]


def parse_event(payload: bytes) -> StripeEvent:
    """Read a Stripe event from a webhook body, raising MalformedEvent if it is not one."""
    try:
        raw = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedEvent(f"Stripe event is not valid JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise MalformedEvent("Stripe event is not a JSON object")
    event_id = raw.get("id")
    event_type = raw.get("type")
    if not isinstance(event_id, str) or not event_id:
        raise MalformedEvent("Stripe event has no id")
    if not isinstance(event_type, str) or not event_type:
        raise MalformedEvent("Stripe event has no type")
    created = raw.get("created")
    if not _is_int(created):
        raise MalformedEvent("Stripe event has no integer created timestamp")
    data = raw.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(obj, dict):
        raise MalformedEvent("Stripe event has no data.object")

    # PaymentIntents and Charges carry `amount`; Checkout Sessions carry `amount_total`.
    amount = obj.get("amount", obj.get("amount_total"))
    currency = obj.get("currency")
    metadata = obj.get("metadata")
    order_id = metadata.get("order_id") if isinstance(metadata, dict) else None
    object_id = obj.get("id")
    return StripeEvent(
        id=event_id,
        type=event_type,
        created=created,
        object_id=object_id if isinstance(object_id, str) else None,
        amount=amount if _is_int(amount) else None,
        currency=currency.lower() if isinstance(currency, str) else None,
        order_id=str(order_id) if order_id not in (None, "") else None,
        raw=raw,
    )


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def stripe_exponent(currency: str) -> int:
    """Decimal places Stripe's API uses for `currency` (0, 2 or 3)."""
    code = currency.lower()
    if code in ZERO_DECIMAL_CURRENCIES:
        return 0
    if code in THREE_DECIMAL_CURRENCIES:
        return 3
    return 2


def to_minor_units(amount: Decimal, currency: str) -> int:
    """Convert a major-unit amount to the integer Stripe expects for `currency`."""
    if isinstance(amount, float):
        raise TypeError("Pass money as Decimal, not float")
    amount = Decimal(amount)
    if not amount.is_finite():
        raise ValueError(f"Amount must be a finite number, got {amount}")
    code = currency.lower()
    exponent = stripe_exponent(code)
    minor = amount.scaleb(exponent)
    if minor != minor.to_integral_value():
        raise ValueError(f"{amount} {code.upper()} has more decimal places than the currency")
    if code in WHOLE_UNITS_ONLY_CURRENCIES and amount != amount.to_integral_value():
        raise ValueError(f"Stripe only accepts whole units of {code.upper()}, got {amount}")
    units = int(minor)
    if code in THREE_DECIMAL_CURRENCIES and units % 10:
        raise ValueError(
            f"Stripe requires {code.upper()} amounts to end in 0 (round {amount} to 0.01)"
        )
    return units
