"""Periodic upkeep: find and recover stuck jobs, delete old finished ones."""

import logging
from dataclasses import asdict, dataclass
from datetime import timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from jobs import storage
from jobs.errors import JobStateError
from jobs.models import FINAL_STATUSES, JobStatus, ProcessingJob
from jobs.registry import all_job_types
from jobs.services.operations import job_requeue

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StuckJobOutcome:
    job_id: str
    job_type: str
    status: str
    action: str  # "requeued", "failed", "would requeue", "would fail", "skipped"
    reason: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def stuck_jobs(
    *, older_than: timedelta, job_type: str | None = None, limit: int | None = None
) -> QuerySet[ProcessingJob]:
    """Running jobs silent for `older_than`, and pending/queued jobs waiting that long.

    Each half is read through its own partial index (up to `limit` ids each) and the two are
    then merged oldest first. One OR-ed query ordered by created_at let PostgreSQL walk the
    whole created_at index instead: ~300-460 ms instead of ~10 ms on a million finished jobs
    (bench/watchdog_scale.py).
    """
    cutoff = timezone.now() - older_than
    silent_running = (
        ProcessingJob.objects.filter(status=JobStatus.RUNNING)
        .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff))
        .order_by("heartbeat_at")
    )
    waiting = (
        ProcessingJob.objects.filter(
            status__in=[JobStatus.PENDING, JobStatus.QUEUED], created_at__lt=cutoff
        )
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=cutoff))
        .order_by("created_at")
    )
    if job_type:
        silent_running = silent_running.filter(job_type=job_type)
        waiting = waiting.filter(job_type=job_type)
    ids = [
        *silent_running.values_list("pk", flat=True)[:limit],
        *waiting.values_list("pk", flat=True)[:limit],
    ]
    return ProcessingJob.objects.filter(pk__in=ids).order_by("created_at")


def _reason(job: ProcessingJob, older_than: timedelta) -> str:
    minutes = int(older_than.total_seconds() // 60)
    if job.status == JobStatus.RUNNING:
        return f"Watchdog: no heartbeat from the worker for over {minutes} min"
    return f"Watchdog: {job.status} for over {minutes} min without starting"


def jobs_requeue_stuck(
    *, older_than: timedelta, job_type: str | None = None, dry_run: bool = False, limit: int = 1000
) -> list[StuckJobOutcome]:
    """Requeue stuck jobs that have attempts left and fail the others; report each."""
    outcomes: list[StuckJobOutcome] = []
    for job in stuck_jobs(older_than=older_than, job_type=job_type, limit=limit)[:limit]:
        reason = _reason(job, older_than)
        out_of_attempts = job.status == JobStatus.RUNNING and job.attempts >= job.max_attempts
        if dry_run:
            action = "would fail" if out_of_attempts else "would requeue"
        else:
            try:
                job = job_requeue(job=job, reason=reason)
            except JobStateError as exc:  # finished between the query and the lock
                outcomes.append(
                    StuckJobOutcome(str(job.pk), job.job_type, job.status, "skipped", str(exc))
                )
                continue
            action = "failed" if job.status == JobStatus.FAILED else "requeued"
        outcomes.append(StuckJobOutcome(str(job.pk), job.job_type, job.status, action, reason))
    return outcomes


def jobs_cleanup(*, older_than: timedelta, batch_size: int = 5000, dry_run: bool = False) -> int:
    """Delete finished jobs completed before the cutoff, a batch per short transaction."""
    cutoff = timezone.now() - older_than
    finished = ProcessingJob.objects.filter(status__in=FINAL_STATUSES, completed_at__lt=cutoff)
    if dry_run:
        return finished.count()
    file_types = [
        jt.name for jt in all_job_types() if jt.accepts_files != "none" or jt.produces_files
    ]
    deleted = files_deleted = 0
    while True:
        batch = list(finished.values_list("pk", flat=True)[:batch_size])
        if not batch:
            break
        dirs = _file_dirs(batch, file_types) if file_types else set()
        ProcessingJob.objects.filter(pk__in=batch).delete()
        deleted += len(batch)
        files_deleted += _delete_dirs(dirs)
    logger.info(
        "job cleanup deleted=%s files_deleted=%s cutoff=%s",
        deleted,
        files_deleted,
        cutoff.isoformat(),
    )
    return deleted


def _input_dirs(params: object) -> set[str]:
    names = params.get("files", []) if isinstance(params, dict) else []
    return {d for name in names if isinstance(name, str) and (d := storage.input_dir_of(name))}


def _file_dirs(batch: list, file_types: list[str]) -> set[str]:
    """Storage folders of the batch's file jobs that no surviving job still reads."""
    dirs: set[str] = set()
    for pk, params in ProcessingJob.objects.filter(
        pk__in=batch, job_type__in=file_types
    ).values_list("pk", "params"):
        dirs.update(storage.job_dirs(pk))
        dirs.update(_input_dirs(params))
    if not dirs:
        return dirs
    # A retry reads its original's uploads (same params): keep them while a retry survives.
    for params in (
        ProcessingJob.objects.filter(retry_of__in=batch)
        .exclude(pk__in=batch)
        .values_list("params", flat=True)
    ):
        dirs -= _input_dirs(params)
    return dirs


def _delete_dirs(dirs: set[str]) -> int:
    deleted = 0
    for prefix in sorted(dirs):
        try:
            deleted += storage.delete_dir(prefix)
        except Exception:  # the rows are gone; an orphaned file must not stop the cleanup
            logger.warning("job cleanup could not delete %s", prefix, exc_info=True)
    return deleted
