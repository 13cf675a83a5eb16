"""Standard Webhooks signing, checked against the spec's vector and the reference library."""

import base64
import time
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from notifications.signatures import (
    WebhookSignatureError,
    _decode_secret,
    generate_secret,
    headers,
    sign,
    verify,
)

# The reference vector from the Standard Webhooks specification.
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TIMESTAMP = 1614265330
BODY = b'{"test": 2432232314}'
SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_reference_vector_gives_the_published_signature():
    assert sign(msg_id=MSG_ID, timestamp=TIMESTAMP, body=BODY, secret=SECRET) == SIGNATURE


def _now() -> int:
    return int(time.time())


def test_a_fresh_signature_verifies():
    verify(headers=_headers(), body=BODY, secret=SECRET)


def _headers(*, timestamp: int | None = None, secret: str = SECRET) -> dict[str, str]:
    stamp = _now() if timestamp is None else timestamp
    return headers(msg_id=MSG_ID, timestamp=stamp, body=BODY, secret=secret)


def test_headers_carry_id_timestamp_and_signature():
    assert headers(msg_id=MSG_ID, timestamp=TIMESTAMP, body=BODY, secret=SECRET) == {
        "webhook-id": MSG_ID,
        "webhook-timestamp": str(TIMESTAMP),
        "webhook-signature": SIGNATURE,
    }


def test_reference_library_accepts_our_headers():
    now = int(time.time())
    sent = headers(msg_id=MSG_ID, timestamp=now, body=BODY, secret=SECRET)
    assert Webhook(SECRET).verify(BODY, sent) == {"test": 2432232314}


def test_reference_library_rejects_our_headers_for_another_secret():
    sent = headers(msg_id=MSG_ID, timestamp=int(time.time()), body=BODY, secret=generate_secret())
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(BODY, sent)


def test_we_accept_the_reference_librarys_signature():
    now = int(time.time())
    signature = Webhook(SECRET).sign(MSG_ID, datetime.fromtimestamp(now, tz=UTC), BODY.decode())
    sent = {"webhook-id": MSG_ID, "webhook-timestamp": str(now), "webhook-signature": signature}
    verify(headers=sent, body=BODY, secret=SECRET)


def test_header_names_are_matched_case_insensitively():
    sent = _headers()
    sent = {
        "Webhook-Id": sent["webhook-id"],
        "WEBHOOK-TIMESTAMP": sent["webhook-timestamp"],
        "webhook-Signature": sent["webhook-signature"],
    }
    verify(headers=sent, body=BODY, secret=SECRET)


def test_any_one_of_several_signatures_may_match():
    sent = _headers()
    wrong = _headers(secret=generate_secret())["webhook-signature"]
    right = sent["webhook-signature"]
    sent["webhook-signature"] = f"v1a,ignored {wrong} v1,not-base64! v1 {right}"
    verify(headers=sent, body=BODY, secret=SECRET)


def test_no_matching_signature_is_rejected():
    sent = _headers(secret=generate_secret())
    with pytest.raises(WebhookSignatureError, match="No matching webhook signature"):
        verify(headers=sent, body=BODY, secret=SECRET)


@pytest.mark.parametrize("signature", ["v1,not-base64!", "v1", "v1,a,b", "ünïcode"])
def test_only_malformed_signatures_are_rejected_cleanly(signature):
    sent = {**_headers(), "webhook-signature": signature}
    with pytest.raises(WebhookSignatureError, match="No matching webhook signature"):
        verify(headers=sent, body=BODY, secret=SECRET)


def test_a_body_that_is_not_utf8_is_rejected():
    with pytest.raises(WebhookSignatureError, match="UTF-8"):
        verify(headers=_headers(), body=b"\xff\xfe", secret=SECRET)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("webhook-id", lambda _: "msg_other"),
        ("webhook-timestamp", lambda sent: str(int(sent) - 1)),
    ],
)
def test_signature_does_not_cover_changed_headers(field, value):
    sent = _headers()
    sent[field] = value(sent[field])
    with pytest.raises(WebhookSignatureError, match="No matching"):
        verify(headers=sent, body=BODY, secret=SECRET)


def test_tampered_body_is_rejected():
    with pytest.raises(WebhookSignatureError, match="No matching"):
        verify(headers=_headers(), body=b'{"test": 1}', secret=SECRET)


def test_stale_timestamp_is_rejected():
    with pytest.raises(WebhookSignatureError, match="too old"):
        verify(headers=_headers(timestamp=_now() - 310), body=BODY, secret=SECRET)


def test_future_timestamp_is_rejected():
    with pytest.raises(WebhookSignatureError, match="future"):
        verify(headers=_headers(timestamp=_now() + 310), body=BODY, secret=SECRET)


def test_timestamp_within_the_tolerance_is_accepted():
    verify(headers=_headers(timestamp=_now() - 290), body=BODY, secret=SECRET)
    verify(headers=_headers(timestamp=_now() + 290), body=BODY, secret=SECRET)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_missing_header_is_named(missing):
    sent = _headers()
    del sent[missing]
    with pytest.raises(WebhookSignatureError, match=f"Missing webhook header.*{missing}"):
        verify(headers=sent, body=BODY, secret=SECRET)


@pytest.mark.parametrize("value", ["soon", "1614265330.5", "-1", "\uff11\uff16\uff11\uff14"])
def test_non_numeric_timestamp_is_rejected(value):
    sent = {"webhook-id": MSG_ID, "webhook-timestamp": value, "webhook-signature": SIGNATURE}
    with pytest.raises(WebhookSignatureError, match="not a Unix timestamp"):
        verify(headers=sent, body=BODY, secret=SECRET)


def test_signature_error_is_a_value_error():
    assert issubclass(WebhookSignatureError, ValueError)


def test_generated_secret_round_trips():
    secret = generate_secret()
    assert secret.startswith("whsec_")
    assert 24 <= len(_decode_secret(secret)) <= 64
    assert generate_secret() != secret
    verify(headers=_headers(secret=secret), body=BODY, secret=secret)
    assert Webhook(secret)._whsecret == _decode_secret(secret)


def test_secret_prefix_is_optional():
    bare = SECRET.removeprefix("whsec_")
    assert _decode_secret(bare) == _decode_secret(SECRET) == base64.b64decode(bare)


@pytest.mark.parametrize("secret", ["whsec_not*base64", "whsec_"])
def test_broken_secret_is_a_configuration_error(secret):
    with pytest.raises(ValueError) as caught:
        _decode_secret(secret)
    assert not isinstance(caught.value, WebhookSignatureError)
