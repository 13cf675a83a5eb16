"""Periodic upkeep: reap the jobs of dead workers, recover lost messages, delete old jobs."""

import logging
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from jobs import broker, storage
from jobs.errors import JobStateError
from jobs.models import FINAL_STATUSES, JobStatus, ProcessingJob, WorkerHeartbeat
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


def _dead_worker_cutoff() -> datetime:
    return timezone.now() - timedelta(seconds=settings.JOBS_WORKER_DEAD_AFTER_SECONDS)


def dead_worker_jobs() -> QuerySet[ProcessingJob]:
    """`running` jobs whose worker is dead: its heartbeat row (jobs.liveness) is older than
    JOBS_WORKER_DEAD_AFTER_SECONDS, or its hostname started a new life after the job started.

    A job whose worker has no heartbeat row at all is not judged here (see stuck_jobs).
    The heartbeat rows (one per worker: few) are read first and the jobs then by their own
    query: no statement locks both tables, so none can deadlock with a TRUNCATE of both.
    """
    cutoff = _dead_worker_cutoff()
    dead = Q(pk__in=[])
    for hostname, last_seen_at, started_at in WorkerHeartbeat.objects.values_list(
        "hostname", "last_seen_at", "started_at"
    ):
        if last_seen_at < cutoff:
            dead |= Q(worker=hostname)
        else:  # alive, but jobs of a previous life of this hostname are dead
            dead |= Q(worker=hostname, started_at__lt=started_at)
    return ProcessingJob.objects.filter(status=JobStatus.RUNNING).filter(dead)


def _worker_alive(job: ProcessingJob) -> bool | None:
    """True/False from the worker's heartbeat row, None when the worker has no row."""
    beat = WorkerHeartbeat.objects.filter(hostname=job.worker).first() if job.worker else None
    if beat is None:
        return None
    return not dead_worker_jobs().filter(pk=job.pk).exists()


def stuck_jobs(
    *, older_than: timedelta, job_type: str | None = None, limit: int | None = None
) -> QuerySet[ProcessingJob]:
    """Candidates for the watchdog, oldest first (jobs_requeue_stuck decides on each).

    Running jobs of dead workers; running jobs silent for `older_than`; pending/queued
    jobs waiting that long. Each part is read through its own index (up to `limit` ids
    each) and the parts merged: one OR-ed query ordered by created_at let PostgreSQL walk
    the whole created_at index instead (bench/watchdog_scale.py).
    """
    cutoff = timezone.now() - older_than
    silent_running = (
        ProcessingJob.objects.filter(status=JobStatus.RUNNING)
        .filter(Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, started_at__lt=cutoff))
        .order_by("heartbeat_at")
    )
    dead = dead_worker_jobs().order_by("heartbeat_at")
    waiting = (
        ProcessingJob.objects.filter(
            status__in=[JobStatus.PENDING, JobStatus.QUEUED], created_at__lt=cutoff
        )
        .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=cutoff))
        .order_by("created_at")
    )
    if job_type:
        silent_running = silent_running.filter(job_type=job_type)
        dead = dead.filter(job_type=job_type)
        waiting = waiting.filter(job_type=job_type)
    ids = [
        *dead.values_list("pk", flat=True)[:limit],
        *silent_running.values_list("pk", flat=True)[:limit],
        *waiting.values_list("pk", flat=True)[:limit],
    ]
    return ProcessingJob.objects.filter(pk__in=ids).order_by("created_at")


class _BrokerView:
    """What the broker and the live workers say about messages, asked once per run."""

    def __init__(self) -> None:
        self._waiting: dict[str, tuple[float, set[str] | None]] = {}
        self._held: tuple[float, set[str] | None] | None = None
        self._depths: dict[str, int | None] | None = None

    def waiting(self, queue: str) -> set[str] | None:
        if queue not in self._waiting:
            self._waiting[queue] = (time.monotonic(), broker.waiting_task_ids(queue))
        return self._waiting[queue][1]

    def held(self, queue: str) -> set[str] | None:
        """What the workers hold, asked after the queue was listed: a message a worker
        took between the two answers is then in one of them."""
        listed_at = self._waiting.get(queue, (0.0, None))[0]
        if self._held is None or self._held[0] < listed_at:
            self._held = (time.monotonic(), broker.held_task_ids())
        return self._held[1]

    def depth(self, queue: str) -> int | None:
        if self._depths is None:
            self._depths = broker.queue_depths()
        return self._depths.get(queue)


def _queued_message_lost(job: ProcessingJob, view: _BrokerView) -> bool:
    """Whether a `queued` job's message is really gone (so publishing again is needed).

    Its message is alive when it waits in the broker (Redis and filesystem queues are
    listed), or a live worker holds it (running, prefetched, waiting for a retry's ETA).
    RabbitMQ cannot list a queue: there a message counts as lost only when the queue is
    empty and no worker holds it. When the broker or the workers cannot be asked, nothing
    is presumed lost.
    """
    waiting = view.waiting(job.queue)  # first the queue, then the workers (see held)
    if waiting is not None and job.celery_task_id in waiting:
        return False
    held = view.held(job.queue)
    if held is None or job.celery_task_id in held:
        return False
    if waiting is None:
        return view.depth(job.queue) == 0
    return True


def _stuck_reason(job: ProcessingJob, older_than: timedelta, view: _BrokerView) -> str | None:
    """Why this candidate must be published again, or None when it is fine as it is."""
    minutes = int(older_than.total_seconds() // 60)
    if job.status == JobStatus.RUNNING:
        alive = _worker_alive(job)
        if alive is False:
            return _died_reason(job)
        if alive:  # slow, not stuck: its worker is alive
            return None
        return f"Watchdog: no heartbeat from the worker for over {minutes} min"
    if job.status == JobStatus.PENDING:
        return f"Watchdog: pending for over {minutes} min, never published"
    if job.next_attempt_at and job.next_attempt_at > timezone.now() - older_than:
        return None  # a retry is scheduled; a worker holds its message until it is due
    if not _queued_message_lost(job, view):
        return None  # waiting its turn in the broker, or held by a live worker
    still_queued = ProcessingJob.objects.filter(
        pk=job.pk, status=JobStatus.QUEUED, celery_task_id=job.celery_task_id
    )
    if not still_queued.exists():
        return None  # a worker started (or even finished) it while we asked around
    return f"Watchdog: queued for over {minutes} min and its message is not in the broker"


def _died_reason(job: ProcessingJob) -> str:
    return (
        f"The worker {job.worker} running this job died (no heartbeat for over "
        f"{settings.JOBS_WORKER_DEAD_AFTER_SECONDS:g} s, or it restarted)"
    )


@transaction.atomic
def _requeue_unchanged(job: ProcessingJob, reason: str) -> ProcessingJob:
    """Requeue `job` only if it is still as it was read (a worker may have moved it on)."""
    locked = ProcessingJob.objects.select_for_update().get(pk=job.pk)
    changed = (
        locked.status != job.status
        or locked.celery_task_id != job.celery_task_id
        or locked.heartbeat_at != job.heartbeat_at
        or locked.attempts != job.attempts
    )
    if changed:
        raise JobStateError(f"The job moved on meanwhile (now {locked.status}); left alone.")
    if locked.status == JobStatus.RUNNING and locked.worker and _worker_alive(locked):
        raise JobStateError("Its worker is alive again; left alone.")
    return job_requeue(job=locked, reason=reason)


def jobs_requeue_stuck(
    *, older_than: timedelta, job_type: str | None = None, dry_run: bool = False, limit: int = 1000
) -> list[StuckJobOutcome]:
    """Publish again the jobs whose message is lost, fail those out of attempts; report each.

    Lost means: `pending` (never published), `queued` with no message in the broker and
    none held by a live worker, `running` on a dead worker (or, for a worker without a
    heartbeat row, silent for `older_than`). Jobs waiting their turn are not named.
    """
    outcomes: list[StuckJobOutcome] = []
    view = _BrokerView()
    for job in stuck_jobs(older_than=older_than, job_type=job_type, limit=limit)[:limit]:
        reason = _stuck_reason(job, older_than, view)
        if reason is None:
            continue
        outcomes.append(_requeue(job, reason, dry_run=dry_run))
    return outcomes


def jobs_reap_dead_workers(*, dry_run: bool = False, limit: int = 1000) -> list[StuckJobOutcome]:
    """Requeue (or fail, when out of attempts) the running jobs of dead workers.

    Run by every worker's heartbeat thread and by the "jobs: reap dead workers" schedule.
    Each job is locked and checked again before it is touched, so two reapers at once
    (or a reaper and the job's redelivered message) change it once.
    """
    outcomes = [
        _requeue(job, _died_reason(job), dry_run=dry_run)
        for job in dead_worker_jobs().order_by("started_at")[:limit]
    ]
    if not dry_run:
        # Rows of workers gone for a day: their jobs were reaped long ago (kept until then
        # for the admin's worker list).
        WorkerHeartbeat.objects.filter(last_seen_at__lt=timezone.now() - timedelta(days=1)).delete()
    return outcomes


def _requeue(job: ProcessingJob, reason: str, *, dry_run: bool) -> StuckJobOutcome:
    out_of_attempts = job.status == JobStatus.RUNNING and job.attempts >= job.max_attempts
    if dry_run:
        action = "would fail" if out_of_attempts else "would requeue"
        return StuckJobOutcome(str(job.pk), job.job_type, job.status, action, reason)
    try:
        job = _requeue_unchanged(job, reason)
    except (JobStateError, ProcessingJob.DoesNotExist) as exc:
        return StuckJobOutcome(str(job.pk), job.job_type, job.status, "skipped", str(exc))
    action = "failed" if job.status == JobStatus.FAILED else "requeued"
    return StuckJobOutcome(str(job.pk), job.job_type, job.status, action, reason)


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
