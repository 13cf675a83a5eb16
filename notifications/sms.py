"""SMS backends: where a text message goes. Chosen by `settings.SMS_BACKEND`.

A backend has one method, `send(*, to, body) -> str` (the provider's message id, or "").
It raises `SmsTransientError` when trying again later may work (gateway down, 5xx,
timeout, rate limit) and `SmsPermanentError` when it will not (rejected number, bad
credentials). Backends: `ConsoleSmsBackend` (log only), `HttpGatewaySmsBackend` (a generic
JSON gateway) and `MitakeSmsBackend` (Mitake's HTTP API).
"""

import logging
import re
import uuid
from typing import Any

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 15


class SmsError(Exception):
    """Sending an SMS failed."""


class SmsTransientError(SmsError):
    """The gateway could not take the message now; retry later."""


class SmsPermanentError(SmsError):
    """The gateway refused the message; retrying will not help."""


# Runs of 4 or more digits in a message body: one-time codes, never written to a log.
_CODE = re.compile(r"\d{4,}")


def mask_codes(body: str) -> str:
    """Replace every run of 4+ digits with bullets of the same length."""
    return _CODE.sub(lambda match: "•" * len(match.group()), body)


def _post(url: str, *, gateway: str, refused: str, **kwargs: Any) -> requests.Response:
    """POST to a gateway; raise `SmsTransientError` or `SmsPermanentError` if it fails.

    Timeouts, unreachable hosts, 5xx, 408 and 429 are transient; other request errors and
    other non-2xx answers are permanent. `gateway` and `refused` word the error messages.
    """
    try:
        response = requests.post(
            url,
            timeout=(CONNECT_TIMEOUT_SECONDS, READ_TIMEOUT_SECONDS),
            allow_redirects=False,
            **kwargs,
        )
    except requests.Timeout as exc:
        raise SmsTransientError(f"{gateway} timed out: {exc}") from exc
    except requests.ConnectionError as exc:
        raise SmsTransientError(f"{gateway} unreachable: {exc}") from exc
    except requests.RequestException as exc:
        raise SmsPermanentError(f"{gateway} request failed: {exc}") from exc
    excerpt = response.text[:200]
    if response.status_code >= 500 or response.status_code in (408, 429):
        raise SmsTransientError(f"{gateway} answered {response.status_code}: {excerpt}")
    if not 200 <= response.status_code < 300:
        raise SmsPermanentError(f"{gateway} {refused} ({response.status_code}): {excerpt}")
    return response


class ConsoleSmsBackend:
    """Log each message instead of sending it (development and tests), codes masked.

    Logs end up in files and log services: a one-time code shown there could be used by
    anyone who reads them, so digits that could be a code are masked.
    """

    def send(self, *, to: str, body: str) -> str:
        message_id = f"console-{uuid.uuid4().hex[:12]}"
        logger.info("SMS to %s (id %s): %s", to, message_id, mask_codes(body))
        return message_id


class HttpGatewaySmsBackend:
    """POST `{"to", "body"}` as JSON to SMS_GATEWAY_URL with a bearer token."""

    def __init__(self, *, url: str | None = None, token: str | None = None) -> None:
        self.url = url if url is not None else settings.SMS_GATEWAY_URL
        self.token = token if token is not None else settings.SMS_GATEWAY_TOKEN
        if not self.url:
            raise ImproperlyConfigured("SMS_GATEWAY_URL must be set for HttpGatewaySmsBackend.")

    def send(self, *, to: str, body: str) -> str:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        response = _post(
            self.url,
            gateway="SMS gateway",
            refused="refused the message",
            json={"to": to, "body": body},
            headers=headers,
        )
        return _message_id(response)


# Mitake's statuscode values (its HTTP API, SmSend): accepted for sending ...
MITAKE_ACCEPTED = frozenset({"0", "1", "2", "4"})
# ... and refusals worth another try later: system error (*), sending paused (a, b, r),
# too many connections at once for the account (l: the throttle).
MITAKE_TRANSIENT = frozenset({"*", "a", "b", "l", "r"})
MITAKE_REASONS = {
    "*": "Mitake system error",
    "a": "sending temporarily stopped",
    "b": "sending temporarily stopped",
    "e": "wrong username or password",
    "f": "account expired",
    "h": "account disabled",
    "k": "connection address not allowed",
    "l": "too many connections at once (throttled)",
    "p": "account may not use the HTTP API",
    "r": "service paused",
    "s": "billing failed (no points left?)",
    "u": "empty message",
    "v": "invalid mobile number",
    "y": "bad parameters",
}


class MitakeSmsBackend:
    """Mitake (三竹資訊), a Taiwanese SMS gateway, through its HTTP API (SmSend).

    POSTs username, password, dstaddr and smbody form-encoded (UTF-8) to MITAKE_API_URL;
    the answer is text, `key=value` lines of which `statuscode` says what happened and
    `msgid` names the message.
    """

    def __init__(
        self, *, url: str | None = None, username: str | None = None, password: str | None = None
    ) -> None:
        self.url = url if url is not None else settings.MITAKE_API_URL
        self.username = username if username is not None else settings.MITAKE_USERNAME
        self.password = password if password is not None else settings.MITAKE_PASSWORD
        if not (self.url and self.username and self.password):
            raise ImproperlyConfigured(
                "MITAKE_API_URL, MITAKE_USERNAME and MITAKE_PASSWORD must be set for "
                "MitakeSmsBackend."
            )

    def send(self, *, to: str, body: str) -> str:
        form = {
            "username": self.username,
            "password": self.password,
            "dstaddr": mitake_number(to),
            "smbody": body,
        }
        response = _post(
            self.url,
            gateway="Mitake",
            refused="refused the request",
            data={key: value.encode("utf-8") for key, value in form.items()},
        )
        return _mitake_result(response.content.decode("utf-8", "replace"))


def mitake_number(phone: str) -> str:
    """Mitake takes Taiwanese mobiles as 09xxxxxxxx and others as digits with country code."""
    digits = phone.strip().removeprefix("+")
    if digits.startswith("8869") and len(digits) == 12:
        return "0" + digits[3:]
    return digits


def _mitake_result(text: str) -> str:
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep:
            fields[key.strip().lower()] = value.strip()
    code = fields.get("statuscode", "")
    if code in MITAKE_ACCEPTED:
        return fields.get("msgid", "")
    reason = MITAKE_REASONS.get(code, "refused")
    detail = f"Mitake statuscode {code or '(none)'}: {reason}"
    if fields.get("error"):
        detail += f" ({fields['error'][:200]})"
    if code in MITAKE_TRANSIENT:
        raise SmsTransientError(detail)
    raise SmsPermanentError(detail)


def _message_id(response: requests.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    return str(data.get("id") or data.get("message_id") or "") if isinstance(data, dict) else ""


def get_sms_backend() -> ConsoleSmsBackend | HttpGatewaySmsBackend | MitakeSmsBackend:
    """Return an instance of the backend named by settings.SMS_BACKEND."""
    return import_string(settings.SMS_BACKEND)()
