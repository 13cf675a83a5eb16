"""Deploy checks of the notifications app: production must really deliver email and SMS.

`manage.py check --deploy` with DEBUG=0 fails when EMAIL_BACKEND or SMS_BACKEND is a
backend that only prints or keeps messages: users would never get their codes and
alerts while the log said `sent`.
"""

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.utils.module_loading import import_string

from notifications.delivery_backends import (
    NON_DELIVERING_EMAIL_BACKENDS,
    is_console_sms_backend,
)


@register("notifications", deploy=True)
def backends_deliver(app_configs: object = None, **kwargs: object) -> list[CheckMessage]:
    """Refuse, in production, email and SMS backends that deliver nothing."""
    if settings.DEBUG:
        return []
    problems: list[CheckMessage] = []
    if settings.EMAIL_BACKEND in NON_DELIVERING_EMAIL_BACKENDS:
        problems.append(
            Error(
                f"EMAIL_BACKEND is {settings.EMAIL_BACKEND}, which delivers no email: "
                "messages would be marked sent but never reach anyone.",
                hint="Set EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend "
                "(with EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD).",
                id="notifications.E001",
            )
        )
    try:
        console_sms = is_console_sms_backend(import_string(settings.SMS_BACKEND))
    except ImportError as exc:
        problems.append(
            Error(
                f"SMS_BACKEND {settings.SMS_BACKEND!r} cannot be imported: {exc}",
                id="notifications.E003",
            )
        )
    else:
        if console_sms:
            problems.append(
                Error(
                    f"SMS_BACKEND is {settings.SMS_BACKEND}, which only logs text messages: "
                    "one-time codes would be marked sent but never reach a phone.",
                    hint="Set SMS_BACKEND=notifications.sms.HttpGatewaySmsBackend "
                    "(with SMS_GATEWAY_URL and SMS_GATEWAY_TOKEN) or another real provider.",
                    id="notifications.E002",
                )
            )
    return problems
