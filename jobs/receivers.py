"""Model-signal receivers of the jobs app: they only enqueue work on commit."""

from functools import partial

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from jobs.models import JobStatus, ProcessingJob
from jobs.services.lifecycle import job_publish


@receiver(post_save, sender=ProcessingJob, dispatch_uid="jobs.publish_pending_job")
def publish_pending_job(sender, instance: ProcessingJob, **kwargs) -> None:
    """Publish a job saved as `pending` once its transaction commits."""
    if instance.status == JobStatus.PENDING:
        transaction.on_commit(partial(job_publish, job=instance))
