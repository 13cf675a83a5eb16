"""notification_send: the queued log row and its job, and real sends through a worker."""

from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
from django.conf import settings

from config.errors import InvalidRequest
from jobs.models import JobStatus
from notifications.models import Notification, NotificationStatus
from notifications.sealing import unseal
from notifications.services import notification_resend, notification_send
from tests.notifications.factories import VideoRenderFactory
from tests.waiting import wait_for


def _mail_with_header(name: str, value: str) -> Message | None:
    for path in Path(settings.EMAIL_FILE_PATH).glob("*.log"):
        for raw in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if raw.strip():
                message = message_from_bytes(raw.strip())
                if message.get(name) == value:
                    return message
    return None


def _status(notification: Notification) -> str:
    notification.refresh_from_db()
    return notification.status


@pytest.mark.django_db
def test_send_queues_a_log_row_with_a_default_queue_job(user):
    render = VideoRenderFactory()

    notification = notification_send(
        channel="email",
        recipient=user.email,
        template="render_completed",
        context={"video_title": "Cats", "oss_link": "https://oss.example.com/c.mp4"},
        related=render,
        user=user,
    )

    assert notification.status == NotificationStatus.QUEUED
    assert notification.related == render
    assert notification.user == user
    assert notification.job.job_type == "notification_deliver"
    assert notification.job.queue == "default"
    assert notification.job.target == notification


@pytest.mark.django_db
def test_urgent_send_goes_to_the_high_priority_queue():
    notification = notification_send(
        channel="sms",
        recipient="+886 912 345 678",
        template="render_completed",
        context={"video_title": "Cats"},
        urgent=True,
    )

    assert notification.recipient == "+886912345678"
    assert notification.job.job_type == "notification_deliver_urgent"
    assert notification.job.queue == "high_priority"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("channel", "recipient"),
    [("email", "not-an-address"), ("sms", "call me"), ("sms", "12")],
)
def test_send_refuses_a_recipient_the_channel_cannot_reach(channel, recipient):
    with pytest.raises(InvalidRequest, match="recipient"):
        notification_send(
            channel=channel, recipient=recipient, template="render_completed", context={}
        )
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_send_refuses_a_missing_template_and_a_context_that_is_not_json():
    with pytest.raises(ValueError, match="No template"):
        notification_send(channel="email", recipient="a@example.com", template="nope", context={})
    with pytest.raises(ValueError, match="JSON"):
        notification_send(
            channel="email",
            recipient="a@example.com",
            template="render_completed",
            context={"thing": object()},
        )
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_resend_queues_a_new_copy_and_keeps_the_original():
    original = notification_send(
        channel="email", recipient="a@example.com", template="render_completed", context={}
    )

    copy = notification_resend(notification=original)

    assert copy.pk != original.pk
    assert (copy.recipient, copy.template, copy.status) == (
        "a@example.com",
        "render_completed",
        "queued",
    )
    assert copy.job_id != original.job_id


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_email_sent_by_the_worker_lands_in_the_mail_folder_and_is_logged_sent(live_worker, user):
    notification = notification_send(
        channel="email",
        recipient=user.email,
        template="render_completed",
        context={
            "username": "ana",
            "video_title": "Cats",
            "oss_link": "https://oss.example.com/c.mp4",
        },
        user=user,
    )

    wait_for(lambda: _status(notification) == NotificationStatus.SENT, message="email sent")
    assert notification.sent_at is not None
    assert notification.attempts == 1
    assert notification.backend == "django.core.mail.backends.filebased.EmailBackend"
    # the notification is marked sent inside the task; the engine completes the job after it
    job = notification.job
    wait_for(lambda: (job.refresh_from_db(), job.is_final)[1], message="job finished")
    assert job.status == JobStatus.COMPLETED
    mail = _mail_with_header("X-Reelhouse-Notification", str(notification.pk))
    assert mail is not None
    assert mail["To"] == user.email
    assert mail["Subject"] == 'Your render of "Cats" is ready'
    bodies = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in mail.walk()
        if not part.is_multipart()
    }
    assert "https://oss.example.com/c.mp4" in bodies["text/plain"]
    assert '<a href="https://oss.example.com/c.mp4">' in bodies["text/html"]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_sms_through_the_console_backend_is_logged_sent(live_worker):
    notification = notification_send(
        channel="sms",
        recipient="+886912345678",
        template="render_completed",
        context={"video_title": "Cats", "oss_link": "https://oss.example.com/c.mp4"},
    )

    wait_for(lambda: _status(notification) == NotificationStatus.SENT, message="sms sent")
    assert notification.provider_message_id.startswith("console-")
    assert notification.backend == "notifications.sms.ConsoleSmsBackend"  # DEBUG: a dev send


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_one_time_code_is_not_kept_in_the_delivery_log_after_sending(live_worker):
    notification = notification_send(
        channel="sms",
        recipient="+886912345678",
        template="commerce/otp_code",
        context={"code": "482913", "minutes": 5},
        urgent=True,
    )
    # the worker still has to render it: kept, but sealed
    assert unseal(notification.context)["code"] == "482913"
    assert "482913" not in str(notification.context)

    wait_for(lambda: _status(notification) == NotificationStatus.SENT, message="sms sent")
    assert notification.context["code"] == "[redacted]"
    assert "482913" not in str(Notification.objects.values().get(pk=notification.pk))
