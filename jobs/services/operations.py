"""What operators and frontends do to jobs: cancel, retry, requeue."""

import logging
import uuid
from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from jobs import broker
from jobs.errors import JobStateError
from jobs.models import JobStatus, ProcessingJob
from jobs.services.lifecycle import job_create, mark_cancelled, mark_failed
from jobs.transitions import set_status

logger = logging.getLogger(__name__)


@transaction.atomic
def job_cancel(*, job: ProcessingJob, force: bool = False) -> ProcessingJob:
    """Cancel a job: at once if it has not started, cooperatively (or by force) if running."""
    job = ProcessingJob.objects.select_for_update().get(pk=job.pk)
    if job.is_final:
        raise JobStateError(
            f"The job is already {job.status}; only pending, queued or running jobs can be "
            "cancelled."
        )
    if job.status == JobStatus.RUNNING and not force:
        # The task stops at its next progress checkpoint (and kills any child process).
        job.cancel_requested_at = timezone.now()
        job.save(update_fields=["cancel_requested_at"])
        logger.info("job cancel requested job_id=%s", job.pk)
        return job
    was_running = job.status == JobStatus.RUNNING
    mark_cancelled(job)
    transaction.on_commit(partial(broker.revoke, job.celery_task_id, terminate=was_running))
    return job


@transaction.atomic
def job_retry(*, job: ProcessingJob, created_by: AbstractBaseUser | None = None) -> ProcessingJob:
    """Create a new job with the same type and params as a failed or cancelled one."""
    if job.status not in (JobStatus.FAILED, JobStatus.CANCELLED):
        raise JobStateError(
            f"Only failed or cancelled jobs can be retried; this one is {job.status}."
        )
    return job_create(
        job_type=job.job_type,
        params=job.params,
        created_by=created_by or job.created_by,
        target=job.target,
        priority=job.priority,
        queue=job.queue,
        retry_of=job,
    )


@transaction.atomic
def job_requeue(*, job: ProcessingJob, reason: str) -> ProcessingJob:
    """Publish a waiting or stuck job again under a fresh task id, or fail it when out of attempts.

    A fresh task id makes any older message for this job a no-op (see job_start).
    """
    job = ProcessingJob.objects.select_for_update().get(pk=job.pk)
    if job.is_final:
        raise JobStateError(f"The job is already {job.status}; use retry instead.")
    if job.status == JobStatus.RUNNING and job.attempts >= job.max_attempts:
        mark_failed(
            job,
            error=f"{reason}; no attempts left ({job.attempts} of {job.max_attempts} used).",
        )
        return job
    old_task_id = job.celery_task_id
    set_status(
        job,
        JobStatus.PENDING,
        celery_task_id=str(uuid.uuid4()),
        progress_message=reason[:255],
    )
    logger.warning("job requeued job_id=%s reason=%s", job.pk, reason)
    transaction.on_commit(partial(broker.revoke, old_task_id))
    return job
