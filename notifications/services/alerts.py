"""Alerts to the site's operators (settings.ADMINS) when no user can be told."""

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse

from jobs.models import ProcessingJob
from notifications.models import Notification
from notifications.services.messages import notification_send

logger = logging.getLogger(__name__)

# Our own sending jobs are not alerted on: a failing alert would alert about itself.
UNALERTED_JOB_TYPE_PREFIXES = ("notification_", "webhook_")


def _admin_url(job: ProcessingJob) -> str:
    try:
        path = reverse("admin:jobs_processingjob_change", args=[job.pk])
    except NoReverseMatch:
        return ""
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}"


def _context(job: ProcessingJob) -> dict[str, Any]:
    target = None
    if job.target_content_type_id is not None:
        content_type = job.target_content_type
        target = {
            "type": f"{content_type.app_label}.{content_type.model}",
            "id": job.target_object_id,
        }
    return {
        "job_id": str(job.pk),
        "job_type": job.job_type,
        "error": job.error,
        "attempts": job.attempts,
        "target": target,
        "admin_url": _admin_url(job),
    }


@transaction.atomic
def job_failure_alert_admins(*, job: ProcessingJob) -> list[Notification]:
    """Email every address in ADMINS that a system job (no user started it) failed for good.

    Called in the transaction that fails the job, so the alerts commit with the failure.
    """
    if job.created_by_id is not None or job.job_type.startswith(UNALERTED_JOB_TYPE_PREFIXES):
        return []
    if not settings.ADMINS:
        logger.warning("system job failed job_id=%s and ADMINS is empty: nobody told", job.pk)
        return []
    context = _context(job)
    alerts = [
        notification_send(
            channel="email",
            recipient=address,
            template="system_job_failed",
            context=context,
            related=job,
        )
        for _name, address in settings.ADMINS
    ]
    logger.info("admins alerted of failed job_id=%s alerts=%s", job.pk, len(alerts))
    return alerts
