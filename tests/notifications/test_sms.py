"""SMS backends, and the HTTP gateway backend retried through a real worker."""

import json

import pytest

from jobs.models import JobStatus
from notifications.models import Notification, NotificationStatus
from notifications.services import notification_send
from notifications.sms import (
    ConsoleSmsBackend,
    HttpGatewaySmsBackend,
    SmsPermanentError,
    SmsTransientError,
    get_sms_backend,
)
from tests.notifications.conftest import SMS_GATEWAY_TOKEN
from tests.notifications.http_servers import Reply
from tests.waiting import wait_for


def test_console_backend_is_the_default(settings):
    settings.SMS_BACKEND = "notifications.sms.ConsoleSmsBackend"
    assert isinstance(get_sms_backend(), ConsoleSmsBackend)


def test_gateway_backend_posts_json_with_the_bearer_token(http_server):
    url = http_server.route(Reply(200, b'{"id": "gw-42"}'))

    message_id = HttpGatewaySmsBackend(url=url, token="secret-token").send(
        to="+886912345678", body="Your code is 123456"
    )

    assert message_id == "gw-42"
    (request,) = http_server.received(url)
    assert request.headers["authorization"] == "Bearer secret-token"
    assert json.loads(request.body) == {"to": "+886912345678", "body": "Your code is 123456"}


@pytest.mark.parametrize("status", [500, 502, 503, 429])
def test_gateway_server_errors_and_rate_limits_are_transient(http_server, status):
    url = http_server.route(Reply(status, b"busy"))
    with pytest.raises(SmsTransientError, match=str(status)):
        HttpGatewaySmsBackend(url=url, token="t").send(to="+886912345678", body="hi")


def test_gateway_refusal_is_permanent(http_server):
    url = http_server.route(Reply(400, b"invalid number"))
    with pytest.raises(SmsPermanentError, match="invalid number"):
        HttpGatewaySmsBackend(url=url, token="t").send(to="+886912345678", body="hi")


def test_unreachable_gateway_is_transient():
    with pytest.raises(SmsTransientError, match="unreachable"):
        HttpGatewaySmsBackend(url="http://127.0.0.1:9/sms", token="t").send(
            to="+886912345678", body="hi"
        )


@pytest.mark.worker
def test_gateway_503_is_retried_by_the_worker_until_sent(
    notif_worker, http_server, sms_gateway_url
):
    # given a gateway that is briefly unavailable
    http_server.script(sms_gateway_url, Reply(503, b"maintenance"), Reply(200, b'{"id": "gw-7"}'))

    notification = notification_send(
        channel="sms",
        recipient="+886912345678",
        template="render_completed",
        context={"video_title": "Cats", "oss_link": "https://oss.example.com/c.mp4"},
        urgent=True,
    )

    def sent() -> bool:
        notification.refresh_from_db()
        return notification.status == NotificationStatus.SENT

    wait_for(sent, timeout=30, message="sms sent")
    assert notification.attempts == 2
    assert notification.provider_message_id == "gw-7"
    # the notification is marked sent inside the task; the engine completes the job after it
    job = notification.job
    wait_for(lambda: (job.refresh_from_db(), job.is_final)[1], message="job finished")
    assert job.status == JobStatus.COMPLETED
    assert job.attempts == 2
    first, second = http_server.received(sms_gateway_url)[-2:]
    assert first.headers["authorization"] == f"Bearer {SMS_GATEWAY_TOKEN}"
    assert json.loads(second.body)["body"].startswith('Reelhouse: your render of "Cats"')


@pytest.mark.worker
def test_gateway_refusal_fails_the_notification_with_the_reason(
    notif_worker, http_server, sms_gateway_url
):
    http_server.script(sms_gateway_url, Reply(400, b"number blocked"))

    notification = notification_send(
        channel="sms", recipient="+886900000000", template="render_completed", context={}
    )

    def failed() -> bool:
        notification.refresh_from_db()
        return notification.status == NotificationStatus.FAILED

    wait_for(failed, timeout=30, message="sms failed")
    assert notification.attempts == 1
    assert "number blocked" in notification.last_error
    assert Notification.objects.get(pk=notification.pk).sent_at is None
