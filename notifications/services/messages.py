"""Email and SMS: queue a Notification with its delivery job, and send it from the worker."""

import json
import logging
import re
import smtplib
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import validate_email
from django.db import models, transaction
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.template.loader import get_template, render_to_string
from django.utils import timezone

from config.errors import InvalidRequest
from jobs.errors import PermanentJobError, TransientJobError
from jobs.models import ProcessingJob
from jobs.services import job_create
from notifications.delivery_backends import backend_name, pretend_delivery_reason
from notifications.models import Channel, Notification, NotificationStatus
from notifications.sealing import SECRET_CONTEXT_KEYS, UnsealError, seal, unseal
from notifications.sms import SmsPermanentError, SmsTransientError, get_sms_backend

logger = logging.getLogger(__name__)

DELIVER_JOB_TYPE = "notification_deliver"
DELIVER_URGENT_JOB_TYPE = "notification_deliver_urgent"
# Attempts of a delivery job per channel (seed 003): email 3, SMS 2.
DELIVERY_MAX_ATTEMPTS = {Channel.EMAIL: 3, Channel.SMS: 2}
PHONE_PATTERN = re.compile(r"^\+?[0-9]{6,15}$")
DEFAULT_SUBJECT = "A message from Reelhouse"


# Secret context values (notifications.sealing.SECRET_CONTEXT_KEYS) are stored sealed
# while the message waits, and replaced by this once it is sent or has failed.
REDACTED = "[redacted]"


def _template_names(channel: str, template: str) -> tuple[str, str | None, str | None]:
    """Return the text, HTML and subject template names of a channel's template."""
    if channel == Channel.EMAIL:
        base = f"emails/{template}"
        return f"{base}.txt", f"{base}.html", f"{base}.subject.txt"
    return f"sms/{template}.txt", None, None


def _check_recipient(channel: str, recipient: str) -> str:
    recipient = recipient.strip()
    if channel == Channel.EMAIL:
        try:
            validate_email(recipient)
        except DjangoValidationError:
            raise InvalidRequest(errors={"recipient": [f"{recipient!r} is not an email address."]})
    elif not PHONE_PATTERN.match(recipient.replace(" ", "")):
        raise InvalidRequest(
            errors={
                "recipient": [f"{recipient!r} is not a phone number (digits, optional leading +)."]
            }
        )
    return recipient if channel == Channel.EMAIL else recipient.replace(" ", "")


def _owner_of(related: models.Model | None) -> AbstractBaseUser | None:
    """The user a related object belongs to, so the notification shows in their list."""
    user_model = get_user_model()
    if isinstance(related, user_model):
        return related
    for attr in ("user", "owner"):
        candidate = getattr(related, attr, None)
        if isinstance(candidate, user_model):
            return candidate
    return None


@transaction.atomic
def notification_send(
    *,
    channel: str,
    recipient: str,
    template: str,
    context: dict[str, Any],
    related: models.Model | None = None,
    urgent: bool = False,
    subject: str | None = None,
    user: AbstractBaseUser | None = None,
) -> Notification:
    """Queue an email or SMS in the caller's transaction; a job sends it after commit.

    The context is stored as JSON and the template is rendered by the worker, so
    everything in `context` must be JSON-serialisable (dates, decimals and UUIDs become
    strings). `urgent` sends on the high_priority queue (OTP codes).
    """
    if channel not in (Channel.EMAIL, Channel.SMS):
        raise ValueError(f"notification_send sends email or sms, not {channel!r}.")
    text_name, _, _ = _template_names(channel, template)
    try:
        get_template(text_name)
    except TemplateDoesNotExist:
        raise ValueError(f"No template {text_name!r} for {channel} notifications.") from None
    try:
        stored_context = json.loads(json.dumps(context, cls=DjangoJSONEncoder))
    except TypeError as exc:
        raise ValueError(f"Notification context must be JSON-serialisable: {exc}") from exc
    owner = user if user is not None else _owner_of(related)
    notification = Notification(
        channel=channel,
        recipient=_check_recipient(channel, recipient),
        template=template,
        subject=(subject or "")[:255],
        context=seal(stored_context),
        urgent=urgent,
        user=owner if owner is not None and owner.is_authenticated else None,
    )
    if related is not None:
        notification.related_content_type = ContentType.objects.get_for_model(related)
        notification.related_object_id = str(related.pk)
    notification.save()
    _queue_delivery(notification)
    logger.info(
        "notification queued notification_id=%s channel=%s template=%s job_id=%s",
        notification.pk,
        channel,
        template,
        notification.job_id,
    )
    return notification


def _queue_delivery(notification: Notification) -> ProcessingJob:
    job = job_create(
        job_type=DELIVER_URGENT_JOB_TYPE if notification.urgent else DELIVER_JOB_TYPE,
        params={"notification_id": notification.pk},
        target=notification,
        max_attempts=DELIVERY_MAX_ATTEMPTS.get(notification.channel),
    )
    notification.job = job
    notification.save(update_fields=["job", "updated_at"])
    return job


@transaction.atomic
def notification_resend(*, notification: Notification) -> Notification:
    """Queue a new copy of a notification (the original stays in the log as it was)."""
    copy = Notification.objects.create(
        channel=notification.channel,
        recipient=notification.recipient,
        template=notification.template,
        subject=notification.subject,
        context=notification.context,
        urgent=notification.urgent,
        user=notification.user,
        related_content_type=notification.related_content_type,
        related_object_id=notification.related_object_id,
    )
    _queue_delivery(copy)
    return copy


def notification_deliver(*, notification_id: int) -> dict[str, Any]:
    """Send one queued notification (run by its job); a sent one is not sent again.

    Raises TransientJobError for failures worth retrying and PermanentJobError for the
    rest; the job's on_failed hook then marks the notification failed.
    """
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None:
        raise PermanentJobError(f"Notification {notification_id} no longer exists.")
    if notification.status != NotificationStatus.QUEUED:
        return {"notification_id": notification_id, "skipped": f"already {notification.status}"}
    Notification.objects.filter(pk=notification_id).update(
        attempts=models.F("attempts") + 1, updated_at=timezone.now()
    )
    if reason := pretend_delivery_reason(notification.channel):
        raise PermanentJobError(reason)
    try:
        message_id = _send(notification)
    except (SmsTransientError, TransientJobError) as exc:
        _record_error(notification_id, str(exc))
        raise TransientJobError(str(exc)) from exc
    except SmsPermanentError as exc:
        raise PermanentJobError(str(exc)) from exc
    Notification.objects.filter(pk=notification_id, status=NotificationStatus.QUEUED).update(
        status=NotificationStatus.SENT,
        context=redacted_context(notification.context),
        sent_at=timezone.now(),
        last_error="",
        provider_message_id=message_id[:255],
        backend=backend_name(notification.channel)[:255],
        updated_at=timezone.now(),
    )
    logger.info(
        "notification sent notification_id=%s backend=%s",
        notification_id,
        backend_name(notification.channel),
    )
    return {"notification_id": notification_id, "status": NotificationStatus.SENT}


def _record_error(notification_id: int, error: str) -> None:
    Notification.objects.filter(pk=notification_id).update(
        last_error=error, updated_at=timezone.now()
    )


def _render(notification: Notification) -> tuple[str, str | None, str]:
    """Render the text body, the HTML body (if the template has one) and the subject."""
    text_name, html_name, subject_name = _template_names(
        notification.channel, notification.template
    )
    try:
        context = unseal(notification.context)
    except UnsealError as exc:
        raise PermanentJobError(f"{exc} Send a new message (e.g. request a new code).") from None
    try:
        text = render_to_string(text_name, context)
        html = _render_optional(html_name, context)
        subject = notification.subject or _render_optional(subject_name, context) or ""
    except (TemplateDoesNotExist, TemplateSyntaxError) as exc:
        raise PermanentJobError(f"Template {notification.template!r} cannot render: {exc}")
    # A subject is one line: template newlines would break the header.
    subject = " ".join(subject.split()) or DEFAULT_SUBJECT
    return text, html, subject


def _render_optional(name: str | None, context: dict[str, Any]) -> str | None:
    if name is None:
        return None
    try:
        return render_to_string(name, context)
    except TemplateDoesNotExist:
        return None


def _send(notification: Notification) -> str:
    text, html, subject = _render(notification)
    if notification.channel == Channel.SMS:
        return get_sms_backend().send(to=notification.recipient, body=text.strip())
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient],
        headers={"X-Reelhouse-Notification": str(notification.pk)},
    )
    if html:
        message.attach_alternative(html, "text/html")
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        if _is_transient_mail_error(exc):
            raise TransientJobError(f"Mail server unavailable: {exc}") from exc
        raise PermanentJobError(f"Mail server refused the message: {exc}") from exc
    return ""


def _is_transient_mail_error(exc: Exception) -> bool:
    """4xx SMTP replies and connection problems are temporary; 5xx replies are not."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(400 <= code < 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return True
    # Other SMTPExceptions (also OSErrors) are configuration faults; plain OSErrors
    # (refused, reset, timed out) are the network.
    return not isinstance(exc, smtplib.SMTPException)


def redacted_context(context: dict[str, Any]) -> dict[str, Any]:
    """Hide one-time secrets (OTP codes, tokens) once they no longer need to be rendered."""
    return {
        key: REDACTED if key in SECRET_CONTEXT_KEYS else value for key, value in context.items()
    }


def notification_fail_for_job(job: ProcessingJob) -> None:
    """Mark the notification of a failed delivery job failed (the job's on_failed hook)."""
    notification_id = (job.params or {}).get("notification_id")
    # Runs inside the transaction that fails the job, so the row lock holds until it commits.
    notification = (
        Notification.objects.select_for_update()
        .filter(pk=notification_id, status=NotificationStatus.QUEUED)
        .first()
    )
    if notification is not None:
        notification.status = NotificationStatus.FAILED
        notification.context = redacted_context(notification.context)
        notification.last_error = job.error
        notification.save(update_fields=["status", "context", "last_error", "updated_at"])
        logger.warning("notification failed notification_id=%s: %s", notification_id, job.error)
