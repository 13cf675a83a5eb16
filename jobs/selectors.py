"""Reads of jobs: the API's list for a user, and queue statistics."""

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from config.celery import QUEUE_NAMES
from jobs import broker
from jobs.models import ACTIVE_STATUSES, FINAL_STATUSES, JobStatus, ProcessingJob


def job_list(*, user: AbstractBaseUser) -> QuerySet[ProcessingJob]:
    """Jobs a user may see: their own, or every job for staff."""
    queryset = ProcessingJob.objects.select_related("created_by", "target_content_type")
    if user.is_staff:
        return queryset
    return queryset.filter(created_by=user)


def _age_seconds(oldest: Any, now: Any) -> float | None:
    return round((now - oldest).total_seconds(), 1) if oldest else None


def _status_counts() -> dict[str, int]:
    return {status: 0 for status in JobStatus.values}


def _counts(jobs: QuerySet[ProcessingJob]) -> list[tuple[str, str, str, int]]:
    rows = jobs.order_by().values_list("job_type", "queue", "status").annotate(n=Count("pk"))
    return [tuple(row) for row in rows]


def job_counts(*, created_by: AbstractBaseUser | None = None) -> list[tuple[str, str, str, int]]:
    """(job_type, queue, status, count) rows: active jobs exact, finished ones cached.

    Counting a million finished jobs takes hundreds of milliseconds while the few active
    ones are counted through their index in about one: finished counts (which only grow)
    are kept for JOBS_FINISHED_COUNTS_CACHE_SECONDS in the cache; waiting and running
    counts, the ones operators act on, are always live.
    """
    jobs = ProcessingJob.objects.all()
    if created_by is not None:
        jobs = jobs.filter(created_by=created_by)
    active = _counts(jobs.filter(status__in=ACTIVE_STATUSES))
    seconds = settings.JOBS_FINISHED_COUNTS_CACHE_SECONDS
    key = f"jobs:finished-counts:{created_by.pk if created_by is not None else 'all'}"
    finished = cache.get(key) if seconds else None
    if finished is None:
        finished = _counts(jobs.filter(status__in=FINAL_STATUSES))
        if seconds:
            cache.set(key, finished, seconds)
    return active + finished


def queue_statistics(*, created_by: AbstractBaseUser | None = None) -> dict[str, Any]:
    """Counts by status, type and queue, waiting ages, last-hour outcomes, broker depths.

    With `created_by`, only that user's jobs are counted and the broker (shared by
    everyone) is not reported.
    """
    now = timezone.now()
    jobs = ProcessingJob.objects.all()
    if created_by is not None:
        jobs = jobs.filter(created_by=created_by)
    by_status = _status_counts()
    by_type: dict[str, dict[str, int]] = {}
    by_queue: dict[str, dict[str, int]] = {}
    if created_by is None:
        by_queue = {name: _status_counts() for name in QUEUE_NAMES}
    for job_type, queue, status, count in job_counts(created_by=created_by):
        by_status[status] = by_status.get(status, 0) + count
        by_type.setdefault(job_type, _status_counts())[status] += count
        by_queue.setdefault(queue, _status_counts())[status] += count
    # Only waiting rows, through their partial index (not a scan of every finished job).
    oldest = jobs.filter(status__in=[JobStatus.PENDING, JobStatus.QUEUED]).aggregate(
        pending=Min("created_at", filter=Q(status=JobStatus.PENDING)),
        queued=Min("queued_at", filter=Q(status=JobStatus.QUEUED)),
    )
    hour_ago = now - timedelta(hours=1)
    finished = jobs.filter(status__in=FINAL_STATUSES, completed_at__gte=hour_ago)
    last_hour = dict(finished.order_by().values_list("status").annotate(n=Count("pk")))
    return {
        "scope": "own" if created_by is not None else "all",
        "total": sum(by_status.values()),
        "by_status": by_status,
        "by_type": dict(sorted(by_type.items())),
        "by_queue": dict(sorted(by_queue.items())),
        "oldest_pending_age_seconds": _age_seconds(oldest["pending"], now),
        "oldest_queued_age_seconds": _age_seconds(oldest["queued"], now),
        "completed_last_hour": last_hour.get(JobStatus.COMPLETED, 0),
        "failed_last_hour": last_hour.get(JobStatus.FAILED, 0),
        "broker_queue_depths": broker.queue_depths() if created_by is None else None,
        "generated_at": now.isoformat(),
    }
