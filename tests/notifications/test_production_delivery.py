"""Production never pretends to deliver: console backends fail `check --deploy`, and a
message through a backend that delivers nothing is never logged `sent` with DEBUG=0."""

import pytest

from jobs.errors import PermanentJobError
from notifications.models import Notification, NotificationStatus
from notifications.services import notification_deliver, notification_send
from tests.config.test_settings import PRODUCTION_ENV, _manage

CONSOLE_EMAIL = "django.core.mail.backends.console.EmailBackend"
CONSOLE_SMS = "notifications.sms.ConsoleSmsBackend"


@pytest.mark.parametrize(
    ("setting", "value", "check_id"),
    [
        ("EMAIL_BACKEND", CONSOLE_EMAIL, "notifications.E001"),
        ("SMS_BACKEND", CONSOLE_SMS, "notifications.E002"),
    ],
)
def test_deploy_check_refuses_a_console_backend_in_production(tmp_path, setting, value, check_id):
    env = {**PRODUCTION_ENV, setting: value, "VAR_DIR": str(tmp_path)}

    result = _manage("check", "--deploy", env=env)

    assert result.returncode != 0
    assert check_id in result.stderr
    assert f"{setting} is {value}" in result.stderr


def test_deploy_check_allows_console_backends_in_development(tmp_path):
    env = {
        **PRODUCTION_ENV,
        "DEBUG": "1",
        "EMAIL_BACKEND": CONSOLE_EMAIL,
        "SMS_BACKEND": CONSOLE_SMS,
        "VAR_DIR": str(tmp_path),
    }

    result = _manage("check", "--deploy", env=env)

    assert "notifications.E00" not in result.stdout + result.stderr


def _queued(channel: str, recipient: str) -> Notification:
    return notification_send(
        channel=channel,
        recipient=recipient,
        template="render_completed",
        context={"video_title": "Cats", "oss_link": "https://oss.example.com/c.mp4"},
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("channel", "recipient", "setting", "value"),
    [
        ("email", "ana@example.com", "EMAIL_BACKEND", CONSOLE_EMAIL),
        ("sms", "+886912345678", "SMS_BACKEND", CONSOLE_SMS),
    ],
)
def test_console_backend_in_production_is_not_counted_as_sent(
    settings, channel, recipient, setting, value
):
    settings.DEBUG = False
    setattr(settings, setting, value)
    notification = _queued(channel, recipient)

    with pytest.raises(PermanentJobError, match=f"Not sent: {setting} is {value}"):
        notification_deliver(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.QUEUED  # the job's failure marks it failed
    assert notification.sent_at is None


@pytest.mark.django_db
def test_console_backend_in_development_is_sent_and_names_its_backend(settings):
    settings.DEBUG = True
    settings.SMS_BACKEND = CONSOLE_SMS
    notification = _queued("sms", "+886912345678")

    notification_deliver(notification_id=notification.pk)

    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert notification.backend == CONSOLE_SMS
