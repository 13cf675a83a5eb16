"""Seal the secret values of a notification's context while it waits to be sent.

An SMS with a one-time code is written as a row and sent by a worker, so the code has to
be stored for a moment; it is stored encrypted (Fernet, with a key derived from
SECRET_KEY), decrypted only to render the message, and redacted once sent or failed.
"""

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.utils.crypto import salted_hmac
from django.utils.encoding import force_bytes

# Context keys whose values are secrets (one-time codes, tokens).
SECRET_CONTEXT_KEYS = frozenset({"code", "otp", "password", "token"})
SEALED = "sealed"


class UnsealError(ValueError):
    """A sealed value cannot be read (SECRET_KEY changed, or the value was altered)."""


def _fernet() -> Fernet:
    key = salted_hmac("notifications.sealing", "fernet-key", algorithm="sha256").digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(context: dict[str, Any]) -> dict[str, Any]:
    """Return the context with each secret value replaced by `{"sealed": <token>}`."""
    fernet = _fernet()
    return {
        key: {SEALED: fernet.encrypt(force_bytes(json.dumps(value))).decode()}
        if key in SECRET_CONTEXT_KEYS
        else value
        for key, value in context.items()
    }


def unseal(context: dict[str, Any]) -> dict[str, Any]:
    """Return the context with sealed values decrypted (others are left as they are)."""
    fernet = _fernet()
    opened = dict(context)
    for key, value in context.items():
        if isinstance(value, dict) and set(value) == {SEALED}:
            try:
                opened[key] = json.loads(fernet.decrypt(force_bytes(value[SEALED])))
            except InvalidToken:
                raise UnsealError(f"The sealed {key!r} cannot be read.") from None
    return opened
