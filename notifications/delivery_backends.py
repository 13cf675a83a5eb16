"""Which email and SMS backends really deliver, and how the delivery log names them."""

from django.conf import settings
from django.utils.module_loading import import_string

# Backends that print, drop or keep messages on this host instead of delivering them.
NON_DELIVERING_EMAIL_BACKENDS = frozenset(
    {
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
    }
)
# Of those, the ones whose messages nobody can ever read back: refused at send time with
# DEBUG=0. The locmem and file backends keep every message (tests read them).
PRETEND_EMAIL_BACKENDS = frozenset(
    {
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.dummy.EmailBackend",
    }
)


def is_console_sms_backend(backend_class: type) -> bool:
    from notifications.sms import ConsoleSmsBackend

    return isinstance(backend_class, type) and issubclass(backend_class, ConsoleSmsBackend)


def backend_name(channel: str) -> str:
    """The dotted path of the backend that sends `channel` ("email" or "sms")."""
    return settings.EMAIL_BACKEND if channel == "email" else settings.SMS_BACKEND


def pretend_delivery_reason(channel: str) -> str | None:
    """Why this backend must not count as delivered (DEBUG=0 only), or None."""
    if settings.DEBUG:
        return None
    if channel == "email" and settings.EMAIL_BACKEND in PRETEND_EMAIL_BACKENDS:
        return (
            f"Not sent: EMAIL_BACKEND is {settings.EMAIL_BACKEND}, which delivers nothing. "
            "Set EMAIL_BACKEND to a real backend (e.g. django.core.mail.backends.smtp."
            "EmailBackend) and resend."
        )
    if channel == "sms" and is_console_sms_backend(import_string(settings.SMS_BACKEND)):
        return (
            f"Not sent: SMS_BACKEND is {settings.SMS_BACKEND}, which only logs the message. "
            "Set SMS_BACKEND to a real provider (e.g. notifications.sms.HttpGatewaySmsBackend) "
            "and resend."
        )
    return None
