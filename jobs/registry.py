"""The job-type registry: name -> Celery task, params serializer, queue, limits.

Apps register their job types with the `jobs.base_task.job_task` decorator in their `tasks.py`
(imported from `AppConfig.ready()`), so the jobs app never imports them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from celery import current_app

from jobs.broker import broker_priority

if TYPE_CHECKING:
    from rest_framework.serializers import Serializer

    from jobs.models import ProcessingJob


class UnknownJobType(LookupError):
    """No job type is registered under that name."""


@dataclass(frozen=True)
class JobType:
    name: str
    task_name: str
    queue: str = "default"
    priority: int = 5
    max_attempts: int = 3
    soft_time_limit: int | None = None
    time_limit: int | None = None
    params_serializer: "type[Serializer] | None" = None
    # Exceptions (besides TransientJobError) that mean "try again later".
    retry_for: tuple[type[BaseException], ...] = ()
    # The type's own retry backoff base in seconds (default JOBS_RETRY_BACKOFF_SECONDS):
    # a number, or a callable read at retry time (e.g. a setting).
    retry_backoff_seconds: "float | Callable[[], float] | None" = field(default=None, compare=False)
    # The uploads a job of this type takes: "none", "one" (`file`) or "many" (`files`).
    accepts_files: str = "none"
    # Writes results under jobs/outputs/{job_id}/ (deleted with the job by cleanup).
    produces_files: bool = False
    user_submittable: bool = False
    # Acts outside Reelhouse (mail to any address, money, messages): staff may submit it,
    # other accounts get a 403.
    staff_only: bool = False
    description: str = ""
    # Called inside the transaction that fails / cancels the job, to keep domain rows
    # (a video, an order) consistent with their job even when a worker died.
    on_failed: "Callable[[ProcessingJob], None] | None" = field(default=None, compare=False)
    on_cancelled: "Callable[[ProcessingJob], None] | None" = field(default=None, compare=False)

    def retry_backoff(self) -> float | None:
        """The type's own backoff base, or None for JOBS_RETRY_BACKOFF_SECONDS."""
        value = self.retry_backoff_seconds
        return value() if callable(value) else value


_registry: dict[str, JobType] = {}


def register(job_type: JobType) -> None:
    """Add a job type; registering the same name twice with different settings is a bug."""
    existing = _registry.get(job_type.name)
    if existing is not None and existing.task_name != job_type.task_name:
        raise ValueError(f"Job type {job_type.name!r} is already registered.")
    _registry[job_type.name] = job_type


def get_job_type(name: str) -> JobType:
    try:
        return _registry[name]
    except KeyError:
        raise UnknownJobType(name) from None


def all_job_types() -> list[JobType]:
    return sorted(_registry.values(), key=lambda jt: jt.name)


def job_type_of_task(name: str, task: Any = None) -> JobType | None:
    """The job type whose task is `name` (or that the task object says it runs), or None."""
    for job_type in _registry.values():
        if job_type.task_name == name:
            return job_type
    job_type_name = getattr(task, "job_type_name", None)
    return _registry.get(job_type_name) if job_type_name else None


def task_route(name: str, task: Any = None) -> dict[str, Any] | None:
    """Route a task message: its job type's queue and priority, else its task's own queue.

    The one place a task's queue is decided for messages sent without one (`delay()`, beat,
    `send_task` by name); `jobs.services` publishes jobs with the same values. A plain task
    (no job type) declares its queue with `shared_task(queue=...)`.
    """
    task = task or current_app.tasks.get(name)
    job_type = job_type_of_task(name, task)
    if job_type is not None:
        return {"queue": job_type.queue, "priority": broker_priority(job_type.priority)}
    queue = getattr(task, "queue", None)
    return {"queue": queue} if queue else None


def submittable_job_types(*, staff: bool) -> list[JobType]:
    """The job types a user may submit through the API (staff also get staff-only ones)."""
    return [jt for jt in all_job_types() if jt.user_submittable and (staff or not jt.staff_only)]
