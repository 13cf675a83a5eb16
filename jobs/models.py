"""ProcessingJob: the row that is the truth about one unit of background work.

State machine (see `ALLOWED_TRANSITIONS`)::

    pending ──publish──> queued ──worker──> running ──> completed
       │                   │                  │ ├────> failed
       │                   │                  │ └────> cancelled
       └───────────────────┴──> cancelled / failed (watchdog, operator)
    running ──> queued   (transient error: retry scheduled, or requeued after a dead worker)
    queued  ──> pending  (requeue: republished under a fresh task id; or the publish
                         that claimed the row as queued could not reach the broker)
    pending ──> pending  (requeue of a job never published: a fresh task id)
    running ──> running  (a new delivery of a job whose worker died: one more attempt)

Every change goes through `jobs.transitions`, which refuses a move not in the table.

`completed`, `failed` and `cancelled` are final: a retry creates a new job whose
`retry_of` points back.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class JobStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


FINAL_STATUSES = frozenset({JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED})
ACTIVE_STATUSES = frozenset({JobStatus.PENDING, JobStatus.QUEUED, JobStatus.RUNNING})

ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    JobStatus.PENDING: frozenset(
        {
            JobStatus.PENDING,
            JobStatus.QUEUED,
            JobStatus.RUNNING,
            JobStatus.CANCELLED,
            JobStatus.FAILED,
        }
    ),
    JobStatus.QUEUED: frozenset(
        {JobStatus.PENDING, JobStatus.RUNNING, JobStatus.CANCELLED, JobStatus.FAILED}
    ),
    JobStatus.RUNNING: frozenset(
        {
            JobStatus.RUNNING,
            JobStatus.QUEUED,
            JobStatus.PENDING,
            JobStatus.COMPLETED,
            JobStatus.FAILED,
            JobStatus.CANCELLED,
        }
    ),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.FAILED: frozenset(),
    JobStatus.CANCELLED: frozenset(),
}


class ProcessingJob(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    job_type = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.PENDING)
    priority = models.PositiveSmallIntegerField(
        default=5,
        validators=[MinValueValidator(0), MaxValueValidator(9)],
        help_text="0 (lowest) to 9 (most urgent).",
    )
    queue = models.CharField(max_length=64, default="default")
    celery_task_id = models.CharField(max_length=255, unique=True, default="")
    progress = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    progress_message = models.CharField(max_length=255, blank=True, default="")
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    traceback = models.TextField(blank=True, default="")
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=3)
    worker = models.CharField(max_length=255, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="processing_jobs",
    )
    target_content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_object_id = models.CharField(max_length=64, blank=True, default="")
    target = GenericForeignKey("target_content_type", "target_object_id")
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # When a retry after a transient error is due (None unless one is scheduled).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="job_status_created_idx"),
            models.Index(fields=["job_type", "status"], name="job_type_status_idx"),
            models.Index(fields=["queue", "status"], name="job_queue_status_idx"),
            models.Index(fields=["created_by", "created_at"], name="job_owner_created_idx"),
            models.Index(fields=["target_content_type", "target_object_id"], name="job_target_idx"),
            # The watchdog: running jobs by heartbeat, waiting jobs by age.
            models.Index(
                fields=["heartbeat_at"],
                name="job_running_heartbeat_idx",
                condition=models.Q(status="running"),
            ),
            models.Index(
                fields=["created_at"],
                name="job_waiting_created_idx",
                condition=models.Q(status__in=["pending", "queued"]),
            ),
            # Cleanup: finished jobs by completion time.
            models.Index(
                fields=["completed_at"],
                name="job_finished_idx",
                condition=models.Q(status__in=["completed", "failed", "cancelled"]),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="job_progress_lte_100"
            ),
            models.CheckConstraint(condition=models.Q(priority__lte=9), name="job_priority_lte_9"),
        ]

    def __str__(self) -> str:
        return f"{self.job_type} {self.id} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def duration_seconds(self) -> float | None:
        """Seconds from start to finish, or to now while running."""
        if not self.started_at:
            return None
        end = self.completed_at or timezone.now()
        return round((end - self.started_at).total_seconds(), 3)


class WorkerHeartbeat(models.Model):
    """One row per running Celery worker (by hostname), refreshed by its main process.

    `jobs.liveness` writes it every JOBS_WORKER_HEARTBEAT_SECONDS from a thread of the
    worker's main process, whatever the broker. A worker whose `last_seen_at` is older than
    JOBS_WORKER_DEAD_AFTER_SECONDS is dead, and so is the previous life of a hostname that
    started again (`started_at` after the job's start): the reaper requeues their jobs.
    """

    hostname = models.CharField(max_length=255, primary_key=True)
    pid = models.PositiveIntegerField(default=0)
    queues = models.JSONField(default=list, blank=True)
    # Task slots of the worker (its concurrency) and how many ran a task at the last beat.
    concurrency = models.PositiveIntegerField(default=0)
    busy = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["hostname"]

    def __str__(self) -> str:
        return self.hostname

    @classmethod
    def alive(cls) -> "models.QuerySet[WorkerHeartbeat]":
        """Workers that beat within JOBS_WORKER_DEAD_AFTER_SECONDS."""
        dead_after = timedelta(seconds=settings.JOBS_WORKER_DEAD_AFTER_SECONDS)
        return cls.objects.filter(last_seen_at__gte=timezone.now() - dead_after)


class MaintenanceLock(models.Model):
    """A named lease that keeps periodic maintenance runs from overlapping.

    Taken with a conditional UPDATE (works on SQLite and PostgreSQL alike); the lease
    expires by itself so a crashed holder cannot block the next run forever.
    """

    name = models.CharField(max_length=64, primary_key=True)
    locked_until = models.DateTimeField(default=timezone.now)
    holder = models.CharField(max_length=255, blank=True, default="")

    def __str__(self) -> str:
        return self.name
