"""Standard Webhooks signatures (https://www.standardwebhooks.com) for outbound webhooks and
signed render notifications, through the `standardwebhooks` reference library."""

import base64
import binascii
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

SECRET_PREFIX = "whsec_"  # noqa: S105 - the public marker, not a secret
SECRET_BYTES = 32
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


def _webhook(secret: str) -> Webhook:
    _decode_secret(secret)  # the library pads and skips stray characters: refuse those first
    return Webhook(secret)


def sign(*, msg_id: str, timestamp: int, body: bytes, secret: str) -> str:
    """Return the `v1,<base64>` signature of a message."""
    return _webhook(secret).sign(msg_id, datetime.fromtimestamp(timestamp, UTC), body.decode())


def headers(*, msg_id: str, timestamp: int, body: bytes, secret: str) -> dict[str, str]:
    """Return the three Standard Webhooks headers for a message."""
    return {
        ID_HEADER: msg_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(msg_id=msg_id, timestamp=timestamp, body=body, secret=secret),
    }


def verify(*, headers: Mapping[str, str], body: bytes, secret: str) -> None:
    """Raise WebhookSignatureError unless the headers sign `body` with `secret` recently.

    The `standardwebhooks` library checks the signature and the timestamp (at most five
    minutes old or ahead). Before it: every header present, an id of bounded length, a
    timestamp of plain digits, a UTF-8 body, and only well-formed `v1,<base64>` entries in
    the signature list (the library raises on the first malformed one, while a sender
    rotating keys may list several and any one may match).
    """
    found = {name.lower(): value for name, value in headers.items()}
    missing = [h for h in (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER) if not found.get(h)]
    if missing:
        raise WebhookSignatureError(f"Missing webhook header(s): {', '.join(missing)}")
    if len(found[ID_HEADER]) > MAX_WEBHOOK_ID_LENGTH:
        raise WebhookSignatureError(
            f"{ID_HEADER} is longer than {MAX_WEBHOOK_ID_LENGTH} characters"
        )
    timestamp = found[TIMESTAMP_HEADER].strip()
    if not (timestamp.isascii() and timestamp.isdigit()):
        raise WebhookSignatureError(f"{TIMESTAMP_HEADER} is not a Unix timestamp")
    try:
        body.decode()
    except UnicodeDecodeError as exc:
        raise WebhookSignatureError("Webhook body is not UTF-8 text") from exc
    candidates = [entry for entry in found[SIGNATURE_HEADER].split() if _well_formed(entry)]
    if not candidates:
        raise WebhookSignatureError("No matching webhook signature found")
    sent = {
        ID_HEADER: found[ID_HEADER],
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: " ".join(candidates),
    }
    try:
        _webhook(secret).verify(body, sent, json_parse=False)
    except WebhookVerificationError as exc:
        raise WebhookSignatureError(_MESSAGES.get(str(exc), str(exc))) from exc


# The library's messages, said the way the rest of Reelhouse's errors are.
_MESSAGES = {
    "No matching signature found": "No matching webhook signature found",
    "Message timestamp too old": "Webhook timestamp is too old",
    "Message timestamp too new": "Webhook timestamp is too far in the future",
}


def _well_formed(entry: str) -> bool:
    _version, comma, encoded = entry.partition(",")
    if not comma or "," in encoded:
        return False
    try:
        base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True
