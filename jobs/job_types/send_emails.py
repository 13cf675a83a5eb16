"""`send_emails`: send one plain-text email to each recipient, one message per address.

Retry policy (mail must not be sent twice): invalid addresses are reported in the result,
not fatal. A transient SMTP error (connection refused or lost, timeout, 4xx reply) before
any message went out retries the whole job with backoff; once some were sent it stops
and completes, listing the rest as `not_sent` so nobody gets a duplicate. A permanent
refusal (5xx) of one address is reported and the others are still sent.
"""

import smtplib
from typing import Any

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from rest_framework import serializers

from config.celery import USER_JOBS_QUEUE
from jobs.base_task import job_task
from jobs.errors import PermanentJobError, TransientJobError
from jobs.progress import JobRun

MAX_RECIPIENTS = 100


def single_line(value: str) -> None:
    if "\n" in value or "\r" in value:
        raise serializers.ValidationError("The subject must be a single line.")


class SendEmailsParams(serializers.Serializer):
    recipients = serializers.ListField(
        child=serializers.CharField(max_length=254),
        min_length=1,
        max_length=MAX_RECIPIENTS,
        help_text="Email addresses; each gets its own message.",
    )
    subject = serializers.CharField(max_length=200, validators=[single_line])
    body = serializers.CharField(max_length=20000, help_text="Plain text.")


def split_recipients(recipients: list[str]) -> tuple[list[str], list[str]]:
    """Return (valid, invalid) addresses, without duplicates, in the order given."""
    valid: list[str] = []
    invalid: list[str] = []
    seen: set[str] = set()
    for raw in recipients:
        address = raw.strip()
        if address.lower() in seen:
            continue
        seen.add(address.lower())
        try:
            validate_email(address)
        except ValidationError:
            invalid.append(address)
        else:
            valid.append(address)
    return valid, invalid


def is_transient(exc: OSError) -> bool:
    """4xx replies and network trouble are worth retrying; 5xx replies are not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    return True  # connection refused or lost, timeouts (smtplib errors are OSErrors)


def _describe(exc: OSError) -> str:
    return f"{exc.__class__.__name__}: {exc}"[:300]


def send_each(run: JobRun, valid: list[str], subject: str, body: str) -> dict[str, Any]:
    """Send to each address over one connection; stop at the first transient error."""
    sent: list[str] = []
    failed: list[dict[str, str]] = []
    not_sent: list[str] = []
    stopped = ""
    connection = get_connection()
    try:
        connection.open()
    except OSError as exc:
        raise TransientJobError(f"Could not connect to the mail server: {exc}") from exc
    try:
        for index, address in enumerate(valid):
            run.progress(100 * index / len(valid), f"Sent {len(sent)} of {len(valid)}")
            try:
                EmailMessage(subject, body, to=[address], connection=connection).send()
            except OSError as exc:
                if is_transient(exc):
                    if not sent:
                        raise TransientJobError(f"Mail server unavailable: {exc}") from exc
                    not_sent = valid[index:]
                    stopped = f"Stopped after a transient error: {_describe(exc)}"
                    break
                failed.append({"email": address, "error": _describe(exc)})
            else:
                sent.append(address)
    finally:
        connection.close()
    return {"sent": sent, "failed": failed, "not_sent": not_sent, "stopped": stopped}


@job_task(
    job_type="send_emails",
    name="jobs.generic.send_emails",
    queue=USER_JOBS_QUEUE,
    params_serializer=SendEmailsParams,
    max_attempts=3,
    soft_time_limit=10 * 60,
    time_limit=11 * 60,
    user_submittable=True,
    staff_only=True,  # mail to any address, "From: Reelhouse": an open relay for anyone else
    description=(
        f"Staff only. Send a plain-text email to up to {MAX_RECIPIENTS} recipients, one "
        "message each; invalid addresses are reported, not fatal."
    ),
)
def send_emails(run: JobRun) -> dict[str, Any]:
    """Send the message to every valid recipient and report who got it."""
    valid, invalid = split_recipients(run.params["recipients"])
    if not valid:
        raise PermanentJobError(
            f"None of the {len(invalid)} recipients is a valid email address: "
            f"{', '.join(invalid[:10])}."
        )
    outcome = send_each(run, valid, run.params["subject"], run.params["body"])
    if not outcome["sent"]:
        refused = "; ".join(f"{f['email']}: {f['error']}" for f in outcome["failed"][:5])
        raise PermanentJobError(f"The mail server refused every recipient. {refused}")
    return {
        "requested": len(run.params["recipients"]),
        "sent_count": len(outcome["sent"]),
        **outcome,
        "invalid": invalid,
    }
