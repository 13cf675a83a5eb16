"""The Mitake backend against a local HTTP server that answers as Mitake's SmSend does."""

from urllib.parse import parse_qs

import pytest

from jobs.errors import PermanentJobError, TransientJobError
from notifications.models import NotificationStatus
from notifications.services import notification_deliver, notification_send
from notifications.sms import (
    MitakeSmsBackend,
    SmsPermanentError,
    SmsTransientError,
    get_sms_backend,
    mitake_number,
)
from tests.notifications.http_servers import Reply


def _answer(statuscode: str, **fields: str) -> Reply:
    lines = ["[1]", *(f"{key}={value}" for key, value in fields.items())]
    lines.insert(2 if "msgid" in fields else 1, f"statuscode={statuscode}")
    return Reply(200, "\r\n".join(lines).encode("utf-8"), {"Content-Type": "text/plain"})


def _backend(url: str) -> MitakeSmsBackend:
    return MitakeSmsBackend(url=url, username="shop", password="s3cret")


def test_sends_the_form_mitake_expects_and_returns_its_message_id(http_server):
    url = http_server.route(_answer("1", msgid="#000000123", AccountPoint="98"))

    message_id = _backend(url).send(to="+886912345678", body="訂單 RH1 已付款")

    assert message_id == "#000000123"
    (request,) = http_server.received(url)
    form = parse_qs(request.body.decode("ascii"), encoding="utf-8")
    assert form == {
        "username": ["shop"],
        "password": ["s3cret"],
        "dstaddr": ["0912345678"],
        "smbody": ["訂單 RH1 已付款"],
    }


def test_invalid_number_is_permanent(http_server):
    url = http_server.route(_answer("v", Error="無效的手機號碼"))

    with pytest.raises(SmsPermanentError, match="invalid mobile number"):
        _backend(url).send(to="+886900000000", body="hi")


@pytest.mark.parametrize(
    "reply",
    [_answer("l"), Reply(429, b"slow down"), Reply(503, b"maintenance"), _answer("*")],
    ids=["connection-limit", "http-429", "http-503", "system-error"],
)
def test_throttling_and_server_errors_are_transient(http_server, reply):
    url = http_server.route(reply)

    with pytest.raises(SmsTransientError):
        _backend(url).send(to="+886912345678", body="hi")


def test_wrong_password_is_permanent(http_server):
    url = http_server.route(_answer("e"))

    with pytest.raises(SmsPermanentError, match="username or password"):
        _backend(url).send(to="+886912345678", body="hi")


def test_numbers_in_mitake_form():
    assert mitake_number("+886912345678") == "0912345678"
    assert mitake_number("+85291234567") == "85291234567"


@pytest.mark.django_db
def test_sms_backend_setting_selects_mitake_and_its_answers_retry_or_fail_the_delivery(
    http_server, settings
):
    url = http_server.route(_answer("l"), _answer("v"), _answer("1", msgid="m-9"))
    settings.SMS_BACKEND = "notifications.sms.MitakeSmsBackend"
    settings.MITAKE_API_URL = url
    settings.MITAKE_USERNAME, settings.MITAKE_PASSWORD = "shop", "s3cret"
    assert isinstance(get_sms_backend(), MitakeSmsBackend)
    throttled = notification_send(
        channel="sms", recipient="+886912345678", template="render_completed", context={}
    )
    invalid = notification_send(
        channel="sms", recipient="+886900000000", template="render_completed", context={}
    )
    sent = notification_send(
        channel="sms", recipient="+886912345678", template="render_completed", context={}
    )

    # throttled: the job is retried later
    with pytest.raises(TransientJobError, match="throttled"):
        notification_deliver(notification_id=throttled.pk)
    # an invalid number: the job fails for good
    with pytest.raises(PermanentJobError, match="invalid mobile number"):
        notification_deliver(notification_id=invalid.pk)
    notification_deliver(notification_id=sent.pk)

    throttled.refresh_from_db()
    sent.refresh_from_db()
    assert throttled.status == NotificationStatus.QUEUED
    assert "throttled" in throttled.last_error
    assert sent.status == NotificationStatus.SENT
    assert sent.provider_message_id == "m-9"
