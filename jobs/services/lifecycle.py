"""Moving one job through its states: create, publish, start, complete, fail, retry."""

import logging
import uuid
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.utils import timezone

from config.errors import InvalidRequest
from jobs import broker, signals
from jobs.models import JobStatus, ProcessingJob
from jobs.registry import JobType, UnknownJobType, get_job_type
from jobs.transitions import claim_status, set_status

logger = logging.getLogger(__name__)


def _validated_params(
    job_type: JobType, params: dict[str, Any], user: AbstractBaseUser | None = None
) -> dict[str, Any]:
    """Validate params; `user` (None for the system) lets a type limit what users ask for."""
    if job_type.params_serializer is None:
        return params
    serializer = job_type.params_serializer(data=params, context={"user": user})
    if not serializer.is_valid():
        raise InvalidRequest(errors={"params": serializer.errors})
    return serializer.validated_data


@transaction.atomic
def job_create(
    *,
    job_type: str,
    params: dict[str, Any] | None = None,
    created_by: AbstractBaseUser | None = None,
    target: models.Model | None = None,
    priority: int | None = None,
    queue: str | None = None,
    retry_of: ProcessingJob | None = None,
    job_id: uuid.UUID | None = None,
    max_attempts: int | None = None,
) -> ProcessingJob:
    """Write a `pending` job in the caller's transaction; it is published on commit.

    Publishing is done by the ProcessingJob post_save receiver (jobs.receivers). `queue`
    overrides the type's queue, to send work to a dedicated worker pool; `max_attempts`
    the type's attempts (e.g. per notification channel).
    """
    try:
        spec = get_job_type(job_type)
    except UnknownJobType:
        raise InvalidRequest(errors={"job_type": [f"Unknown job type {job_type!r}."]}) from None
    job = ProcessingJob(
        id=job_id or uuid.uuid4(),
        job_type=spec.name,
        queue=queue or spec.queue,
        priority=spec.priority if priority is None else priority,
        max_attempts=max_attempts or spec.max_attempts,
        celery_task_id=str(uuid.uuid4()),
        params=_validated_params(spec, params or {}, created_by),
        created_by=created_by if created_by and created_by.is_authenticated else None,
        retry_of=retry_of,
    )
    if target is not None:
        job.target_content_type = ContentType.objects.get_for_model(target)
        job.target_object_id = str(target.pk)
    job.save(force_insert=True)
    logger.info(
        "job created job_id=%s type=%s task_id=%s", job.pk, job.job_type, job.celery_task_id
    )
    return job


@transaction.atomic
def job_adopt(*, job_type: str, task_id: str, params: dict[str, Any]) -> ProcessingJob:
    """Give a task that was sent without a job (e.g. by beat) its row, once per task id."""
    existing = ProcessingJob.objects.filter(celery_task_id=task_id).first()
    if existing is not None:
        return existing
    spec = get_job_type(job_type)
    return ProcessingJob.objects.create(
        job_type=spec.name,
        queue=spec.queue,
        priority=spec.priority,
        max_attempts=spec.max_attempts,
        celery_task_id=task_id,
        params=_validated_params(spec, params),
        status=JobStatus.QUEUED,
        queued_at=timezone.now(),
    )


def job_publish(*, job: ProcessingJob) -> bool:
    """Publish a job saved as `pending` and mark it `queued`; on broker failure it stays `pending`.

    Called on commit with the instance that was saved. One conditional UPDATE claims the row
    (still `pending`, still this task id) before the message is sent, so a job cancelled or
    requeued meanwhile is not published and two publishers cannot both send it. If the
    process dies between the UPDATE and the send, the row is `queued` without a message:
    the watchdog requeues it like any job that waited too long.
    """
    claimed = claim_status(
        job.pk,
        from_status=JobStatus.PENDING,
        to=JobStatus.QUEUED,
        task_id=job.celery_task_id,
        queued_at=timezone.now(),
    )
    if not claimed:
        return False
    spec = get_job_type(job.job_type)
    try:
        broker.publish(
            task_name=spec.task_name,
            job_id=str(job.pk),
            task_id=job.celery_task_id,
            queue=job.queue,
            priority=job.priority,
            soft_time_limit=spec.soft_time_limit,
            time_limit=spec.time_limit,
        )
    except Exception:  # broker down: the watchdog / requeue_stuck publishes it later
        logger.exception("job publish failed job_id=%s; it stays pending", job.pk)
        claim_status(
            job.pk,
            from_status=JobStatus.QUEUED,
            to=JobStatus.PENDING,
            task_id=job.celery_task_id,
            queued_at=None,
        )
        return False
    logger.info("job queued job_id=%s task_id=%s queue=%s", job.pk, job.celery_task_id, job.queue)
    return True


@transaction.atomic
def job_start(*, job_id: str, task_id: str, worker: str) -> ProcessingJob | None:
    """Claim the job for this delivery; return None when this delivery must not run it.

    Runs at the start of every delivery, so it makes redelivery safe: a finished job, a
    stale message (the job was requeued under another task id) or a missing row is
    skipped; a job already `running` means its previous worker died, which counts as
    an attempt.
    """
    job = ProcessingJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None:
        logger.warning("job missing job_id=%s task_id=%s; skipping", job_id, task_id)
        return None
    if job.celery_task_id and task_id and job.celery_task_id != task_id:
        logger.warning("stale message for job_id=%s task_id=%s; skipping", job_id, task_id)
        return None
    if job.is_final:
        logger.info("job already %s job_id=%s; redelivery ignored", job.status, job_id)
        return None
    if job.cancel_requested_at:
        mark_cancelled(job)
        return None
    if job.status == JobStatus.RUNNING and job.attempts >= job.max_attempts:
        mark_failed(
            job,
            error=(
                f"The worker running this job stopped {job.attempts} times without finishing "
                f"(killed, out of memory or restarted); giving up after {job.max_attempts} "
                "attempts."
            ),
        )
        return None
    now = timezone.now()
    set_status(
        job,
        JobStatus.RUNNING,
        attempts=job.attempts + 1,
        started_at=now,
        heartbeat_at=now,
        worker=worker[:255],
        progress_message="",
        next_attempt_at=None,
    )
    logger.info("job running job_id=%s attempt=%s worker=%s", job.pk, job.attempts, worker)
    return job


def job_complete(*, job_id: str, result: Any) -> None:
    """Store the result and move a running job to `completed`.

    A single conditional UPDATE: the job only completes from `running`, so a delivery that
    lost its claim (cancelled, failed by the watchdog) drops its result instead.
    """
    now = timezone.now()
    completed = claim_status(
        job_id,
        from_status=JobStatus.RUNNING,
        to=JobStatus.COMPLETED,
        progress=100,
        result=result,
        error="",
        completed_at=now,
        heartbeat_at=now,
    )
    if not completed:
        logger.info("job not running at completion job_id=%s; result dropped", job_id)
        return
    logger.info("job completed job_id=%s", job_id)
    if signals.job_completed.has_listeners(ProcessingJob):  # spare the read when nobody listens
        signals.job_completed.send(sender=ProcessingJob, job=ProcessingJob.objects.get(pk=job_id))


@transaction.atomic
def job_fail(*, job_id: str, error: str, traceback: str = "") -> None:
    """Move a job that is not final to `failed` with a message a person can act on."""
    job = ProcessingJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.is_final:
        return
    mark_failed(job, error=error, traceback=traceback)


@transaction.atomic
def job_stopped_at_checkpoint(*, job_id: str) -> None:
    """Record that a running job stopped at a cancellation checkpoint."""
    job = ProcessingJob.objects.select_for_update().filter(pk=job_id).first()
    if job is None or job.is_final:
        return
    mark_cancelled(job)


@transaction.atomic
def job_schedule_retry(*, job_id: str, error: str, countdown: float) -> None:
    """Put a running job back to `queued` after a transient error; a retry is on its way."""
    now = timezone.now()
    claim_status(
        job_id,
        from_status=JobStatus.RUNNING,
        to=JobStatus.QUEUED,
        queued_at=now,
        next_attempt_at=now + timedelta(seconds=countdown),
        error=error,
        progress_message=f"Retrying in {countdown:.0f} s after: {error}"[:255],
    )
    logger.warning("job retry scheduled job_id=%s in %.1fs: %s", job_id, countdown, error)


def mark_failed(job: ProcessingJob, *, error: str, traceback: str = "") -> None:
    """Fail a row the caller has locked (select_for_update) in the current transaction."""
    set_status(job, JobStatus.FAILED, error=error, traceback=traceback, completed_at=timezone.now())
    logger.error("job failed job_id=%s: %s", job.pk, error)
    _call_hook(job, "on_failed")
    signals.job_failed.send(sender=ProcessingJob, job=job)


def mark_cancelled(job: ProcessingJob) -> None:
    """Cancel a row the caller has locked (select_for_update) in the current transaction."""
    now = timezone.now()
    set_status(
        job,
        JobStatus.CANCELLED,
        completed_at=now,
        cancel_requested_at=job.cancel_requested_at or now,
    )
    logger.info("job cancelled job_id=%s", job.pk)
    _call_hook(job, "on_cancelled")
    signals.job_cancelled.send(sender=ProcessingJob, job=job)


def _call_hook(job: ProcessingJob, hook_name: str) -> None:
    try:
        hook = getattr(get_job_type(job.job_type), hook_name)
    except UnknownJobType:
        return
    if hook is not None:
        hook(job)
