"""Standard Webhooks signatures for outbound webhooks (https://www.standardwebhooks.com)."""

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"  # noqa: S105 - the public marker, not a secret
SECRET_BYTES = 32
DEFAULT_TOLERANCE = 300
VERSION = "v1"

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
# Message ids are short tokens (msg_...); a longer header is refused, not stored.
MAX_WEBHOOK_ID_LENGTH = 255


class WebhookSignatureError(ValueError):
    """A webhook's headers are missing, stale or carry no matching signature."""


def generate_secret() -> str:
    """Create a new random signing secret in the `whsec_<base64>` form."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def _decode_secret(secret: str) -> bytes:
    """Return the key bytes of a `whsec_<base64>` secret (the prefix is optional)."""
    try:
        key = base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)
    except (binascii.Error, ValueError) as exc:
        # A broken secret is a configuration fault, not a bad request, so no signature error.
        raise ValueError("Webhook secret is not valid base64 after the whsec_ prefix") from exc
    if not key:
        raise ValueError("Webhook secret is empty")
    return key


def _digest(key: bytes, msg_id: str, timestamp: int | str, body: bytes) -> bytes:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return hmac.new(key, signed, hashlib.sha256).digest()


def sign(*, msg_id: str, timestamp: int, body: bytes, secret: str) -> str:
    """Return the `v1,<base64>` signature of a message."""
    digest = _digest(_decode_secret(secret), msg_id, timestamp, body)
    return f"{VERSION},{base64.b64encode(digest).decode()}"


def headers(*, msg_id: str, timestamp: int, body: bytes, secret: str) -> dict[str, str]:
    """Return the three Standard Webhooks headers for a message."""
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(msg_id=msg_id, timestamp=timestamp, body=body, secret=secret),
    }


def verify(
    *,
    headers: Mapping[str, str],
    body: bytes,
    secret: str,
    tolerance: int = DEFAULT_TOLERANCE,
    now: int | None = None,
) -> None:
    """Raise WebhookSignatureError unless the headers sign `body` with `secret` recently."""
    found = {name.lower(): value for name, value in headers.items()}
    missing = [h for h in (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER) if not found.get(h)]
    if missing:
        raise WebhookSignatureError(f"Missing webhook header(s): {', '.join(missing)}")
    if len(found[ID_HEADER]) > MAX_WEBHOOK_ID_LENGTH:
        raise WebhookSignatureError(
            f"{ID_HEADER} is longer than {MAX_WEBHOOK_ID_LENGTH} characters"
        )
    raw_timestamp = found[TIMESTAMP_HEADER].strip()
    if not (raw_timestamp.isascii() and raw_timestamp.isdigit()):
        raise WebhookSignatureError(f"{TIMESTAMP_HEADER} is not a Unix timestamp")
    timestamp = int(raw_timestamp)
    current = int(time.time()) if now is None else now
    if timestamp < current - tolerance:
        raise WebhookSignatureError("Webhook timestamp is too old")
    if timestamp > current + tolerance:
        raise WebhookSignatureError("Webhook timestamp is too far in the future")

    # Sign the header text as sent, so a sender's leading zeros still verify.
    expected = _digest(_decode_secret(secret), found[ID_HEADER], raw_timestamp, body)
    matched = False
    for entry in found[SIGNATURE_HEADER].split():
        version, _, encoded = entry.partition(",")
        if version != VERSION:
            continue
        try:
            candidate = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise WebhookSignatureError("No matching webhook signature found")
