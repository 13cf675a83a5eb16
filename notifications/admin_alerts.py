"""The receiver that alerts ADMINS when a system job fails for good.

Kept apart from receivers.py (the announcements) and writing instead of enqueueing, on
purpose: the alert is an outbox row (a Notification and its sending job) committed in the
transaction that fails the job, so no crash between the two can lose it.
"""

from jobs.models import ProcessingJob
from jobs.signals import job_failed
from notifications.services.alerts import job_failure_alert_admins


def on_system_job_failed(sender, job: ProcessingJob, **kwargs) -> None:
    """Queue the ADMINS alert of a failed job nobody started."""
    job_failure_alert_admins(job=job)


def connect() -> None:
    """Connect the receiver (called from AppConfig.ready)."""
    job_failed.connect(on_system_job_failed, dispatch_uid="notifications.alert_admins")
