"""The send_emails job type: one message per valid recipient.

One good and one bad input run through the real worker; the edge cases call the job
function directly with a JobRun on a running job row.
"""

import socket
from pathlib import Path

import pytest
from django.conf import settings

from jobs.errors import TransientJobError
from jobs.job_types.send_emails import SendEmailsParams, send_emails
from jobs.models import JobStatus
from jobs.services import job_create
from tests.jobs.job_runs import finished, running, through_worker


def _mail_containing(subject: str) -> str:
    folder = Path(settings.EMAIL_FILE_PATH)
    texts = [path.read_text() for path in folder.glob("*")] if folder.exists() else []
    return "\n".join(text for text in texts if subject in text)


@pytest.mark.worker
@through_worker
def test_send_emails_sends_one_message_each_and_reports_invalid_addresses(live_worker, user):
    subject = "Weekly digest 7f3a"
    job = job_create(
        job_type="send_emails",
        params={
            "recipients": ["ann@example.com", "not-an-address", "bob@example.com"],
            "subject": subject,
            "body": "Hello from Reelhouse.",
        },
        created_by=user,
    )

    job = finished(job)

    assert job.status == JobStatus.COMPLETED, job.error
    assert job.result["sent"] == ["ann@example.com", "bob@example.com"]
    assert job.result["invalid"] == ["not-an-address"]
    mail = _mail_containing(subject)
    assert mail.count(f"Subject: {subject}") == 2
    assert "To: ann@example.com" in mail
    assert "To: bob@example.com" in mail


@pytest.mark.worker
@through_worker
def test_send_emails_with_no_valid_recipient_fails(live_worker, user):
    job = job_create(
        job_type="send_emails",
        params={"recipients": ["nobody", "@example.com"], "subject": "Hi", "body": "Hi"},
        created_by=user,
    )

    job = finished(job)

    assert job.status == JobStatus.FAILED
    assert job.error == ("None of the 2 recipients is a valid email address: nobody, @example.com.")


@pytest.mark.django_db
def test_send_emails_skips_duplicate_addresses(mailoutbox):
    run = running(
        "send_emails",
        {"recipients": ["a@example.com", "A@example.com "], "subject": "S", "body": "B"},
    )

    result = send_emails.job_function(run)

    assert result["sent"] == ["a@example.com"]
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["a@example.com"]


@pytest.mark.django_db
def test_send_emails_retries_when_the_mail_server_is_down(settings):
    # given an SMTP server address where nothing listens
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    run = running("send_emails", {"recipients": ["a@example.com"], "subject": "S", "body": "B"})

    # then nothing was sent, so the job asks to be retried
    with pytest.raises(TransientJobError, match="Could not connect to the mail server"):
        send_emails.job_function(run)


def test_send_emails_validates_its_params():
    empty = SendEmailsParams(data={"recipients": [], "subject": "", "body": "x"})
    header_injection = SendEmailsParams(
        data={"recipients": ["a@example.com"], "subject": "Hi\nBcc: x@example.com", "body": "x"}
    )

    assert not empty.is_valid()
    assert set(empty.errors) == {"recipients", "subject"}
    assert not header_injection.is_valid()
    assert header_injection.errors["subject"] == ["The subject must be a single line."]
