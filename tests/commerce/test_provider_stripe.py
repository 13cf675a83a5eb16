"""Stripe webhook signatures, event parsing and minor units, cross-checked with stripe-python."""

import json
import time
from decimal import Decimal

import pytest
import stripe

from commerce.providers import MalformedEvent, SignatureError
from commerce.providers.stripe import parse_event, sign, to_minor_units, verify_signature

SECRET = "whsec_test_secret_for_reelhouse"
OTHER_SECRET = "whsec_rotated_out_secret"
NOW = 1_700_000_000
PAYLOAD = json.dumps(
    {
        "id": "evt_1",
        "type": "payment_intent.succeeded",
        "created": NOW,
        "data": {
            "object": {
                "id": "pi_1",
                "object": "payment_intent",
                "amount": 1250,
                "currency": "USD",
                "metadata": {"order_id": "ord_42"},
            }
        },
    }
).encode()


def test_own_signature_is_accepted():
    verify_signature(PAYLOAD, sign(PAYLOAD, SECRET, timestamp=_now()), SECRET)


def _now() -> int:
    return int(time.time())


def test_signature_follows_stripes_scheme():
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + PAYLOAD, hashlib.sha256).hexdigest()
    assert sign(PAYLOAD, SECRET, timestamp=NOW) == f"t={NOW},v1={expected}"


def test_our_header_passes_the_official_stripe_verifier():
    header = sign(PAYLOAD, SECRET, timestamp=int(time.time()))
    assert stripe.WebhookSignature.verify_header(PAYLOAD.decode(), header, SECRET, 300)


def test_header_from_the_official_stripe_library_passes_our_verifier():
    timestamp = int(time.time())
    digest = stripe.WebhookSignature._compute_signature(f"{timestamp}.{PAYLOAD.decode()}", SECRET)
    header = f"t={timestamp},v1={digest},v0=ignored"
    verify_signature(PAYLOAD, header, SECRET)


def test_official_stripe_verifier_rejects_what_ours_rejects_for_a_wrong_secret():
    header = sign(PAYLOAD, OTHER_SECRET, timestamp=int(time.time()))
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(PAYLOAD.decode(), header, SECRET, 300)
    with pytest.raises(SignatureError):
        verify_signature(PAYLOAD, header, SECRET)


def test_signature_from_a_rotated_secret_is_accepted():
    now = _now()
    old = sign(PAYLOAD, OTHER_SECRET, timestamp=now).split(",")[1]
    new = sign(PAYLOAD, SECRET, timestamp=now).split(",")[1]
    header = f"t={now},{old},{new}"
    verify_signature(PAYLOAD, header, SECRET)
    verify_signature(PAYLOAD, header, OTHER_SECRET)


def test_only_v1_signatures_count():
    now = _now()
    v1 = sign(PAYLOAD, SECRET, timestamp=now).split("v1=")[1]
    with pytest.raises(SignatureError, match="expected scheme v1"):
        verify_signature(PAYLOAD, f"t={now},v0={v1}", SECRET)


def test_stale_timestamp_is_rejected():
    header = sign(PAYLOAD, SECRET, timestamp=_now() - 301)
    with pytest.raises(SignatureError, match="Timestamp outside the tolerance zone"):
        verify_signature(PAYLOAD, header, SECRET)


def test_timestamp_within_tolerance_is_accepted():
    verify_signature(PAYLOAD, sign(PAYLOAD, SECRET, timestamp=_now() - 290), SECRET)


def test_timestamp_far_in_the_future_is_rejected():
    header = sign(PAYLOAD, SECRET, timestamp=_now() + 3600)
    with pytest.raises(SignatureError, match="tolerance"):
        verify_signature(PAYLOAD, header, SECRET)


def test_tampered_body_is_rejected():
    header = sign(PAYLOAD, SECRET, timestamp=_now())
    tampered = PAYLOAD.replace(b"1250", b"1")
    with pytest.raises(SignatureError, match="No signatures found matching"):
        verify_signature(tampered, header, SECRET)


def test_wrong_secret_is_rejected():
    header = sign(PAYLOAD, OTHER_SECRET, timestamp=_now())
    with pytest.raises(SignatureError, match="No signatures found matching"):
        verify_signature(PAYLOAD, header, SECRET)


def test_signature_over_another_timestamp_is_rejected():
    digest = sign(PAYLOAD, SECRET, timestamp=_now() - 1).split("v1=")[1]
    with pytest.raises(SignatureError):
        verify_signature(PAYLOAD, f"t={_now()},v1={digest}", SECRET)


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("", "Missing Stripe-Signature header"),
        ("   ", "Missing Stripe-Signature header"),
        ("v1=abc", "no timestamp"),
        ("t=,v1=abc", "not a whole number"),
        ("t=12x,v1=abc", "not a whole number"),
        (f"t={NOW}", "No signatures found with expected scheme v1"),
        (f"t={NOW},t={NOW},v1=abc", "more than one timestamp"),
        ("garbage", "no timestamp"),
        (f"t={NOW},v1=ünïcode", "not ASCII"),
    ],
)
def test_malformed_header_is_rejected_with_a_clear_message(header, message):
    with pytest.raises(SignatureError, match=message):
        verify_signature(PAYLOAD, header, SECRET)


def test_signature_error_is_a_value_error():
    assert issubclass(SignatureError, ValueError)
    assert issubclass(MalformedEvent, ValueError)


def test_event_fields_are_read_from_the_payload():
    event = parse_event(PAYLOAD)
    assert event.id == "evt_1"
    assert event.type == "payment_intent.succeeded"
    assert event.created == NOW
    assert event.object_id == "pi_1"
    assert event.amount == 1250
    assert event.currency == "usd"
    assert event.order_id == "ord_42"
    assert event.raw["data"]["object"]["metadata"] == {"order_id": "ord_42"}


def test_checkout_session_amount_total_is_read_as_the_amount():
    payload = json.dumps(
        {
            "id": "evt_2",
            "type": "checkout.session.completed",
            "created": NOW,
            "data": {"object": {"id": "cs_1", "amount_total": 500, "currency": "jpy"}},
        }
    ).encode()
    event = parse_event(payload)
    assert (event.amount, event.currency, event.order_id) == (500, "jpy", None)


def test_event_without_amount_or_metadata_has_none_for_them():
    payload = json.dumps(
        {"id": "evt_3", "type": "customer.created", "created": NOW, "data": {"object": {}}}
    ).encode()
    event = parse_event(payload)
    assert (event.object_id, event.amount, event.currency, event.order_id) == (
        None,
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[]", "not a JSON object"),
        (b'{"type": "x", "created": 1, "data": {"object": {}}}', "no id"),
        (b'{"id": "evt", "created": 1, "data": {"object": {}}}', "no type"),
        (b'{"id": "evt", "type": "x", "data": {"object": {}}}', "created"),
        (b'{"id": "evt", "type": "x", "created": 1}', "no data.object"),
        (b'{"id": "evt", "type": "x", "created": 1, "data": {"object": []}}', "no data.object"),
    ],
)
def test_malformed_event_is_rejected(payload, message):
    with pytest.raises(MalformedEvent, match=message):
        parse_event(payload)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("12.50", "usd", 1250),
        ("12.5", "USD", 1250),
        ("0.01", "eur", 1),
        ("500", "jpy", 500),
        ("500", "JPY", 500),
        ("1000", "krw", 1000),
        ("5000", "ugx", 5000),
        # TWD and HUF stay two-decimal in Stripe's API; only payouts must be whole units.
        ("100", "twd", 10000),
        ("10.45", "twd", 1045),
        ("10.45", "huf", 1045),
        # ISK is two-decimal in the API but only whole krona can be charged.
        ("5", "isk", 500),
        ("5.120", "kwd", 5120),
    ],
)
def test_amounts_convert_to_stripe_minor_units(amount, currency, expected):
    assert to_minor_units(Decimal(amount), currency) == expected


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("12.345", "usd", "more decimal places"),
        ("500.5", "jpy", "more decimal places"),
        ("5.50", "isk", "whole units of ISK"),
        ("5.124", "kwd", "end in 0"),
        ("NaN", "usd", "finite"),
    ],
)
def test_amounts_stripe_cannot_take_are_refused(amount, currency, message):
    with pytest.raises(ValueError, match=message):
        to_minor_units(Decimal(amount), currency)


def test_float_amounts_are_refused():
    with pytest.raises(TypeError):
        to_minor_units(12.5, "usd")  # type: ignore[arg-type]
