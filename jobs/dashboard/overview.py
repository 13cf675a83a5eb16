"""The operator overview: throughput, queues, waiting jobs, workers and periodic tasks."""

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.db.models.functions import TruncMinute
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from jobs import broker
from jobs.models import JobStatus, ProcessingJob, WorkerHeartbeat
from jobs.selectors import job_counts

THROUGHPUT_MINUTES = 60
WAITING_STATUSES = (JobStatus.PENDING, JobStatus.QUEUED)


def throughput_per_minute(*, now: datetime, minutes: int = THROUGHPUT_MINUTES) -> list[dict]:
    """Jobs completed and failed in each of the last `minutes` minutes, oldest first.

    One query grouped by minute; minutes without outcomes are filled in with zeros.
    """
    end = now.replace(second=0, microsecond=0)
    start = end - timedelta(minutes=minutes - 1)
    rows = (
        ProcessingJob.objects.filter(
            status__in=(JobStatus.COMPLETED, JobStatus.FAILED), completed_at__gte=start
        )
        .annotate(minute=TruncMinute("completed_at"))
        .order_by()
        .values_list("minute", "status")
        .annotate(n=Count("pk"))
    )
    counts = {(minute, status): n for minute, status, n in rows}
    buckets = []
    for offset in range(minutes):
        minute = start + timedelta(minutes=offset)
        buckets.append(
            {
                "minute": minute.isoformat(),
                "completed": counts.get((minute, JobStatus.COMPLETED), 0),
                "failed": counts.get((minute, JobStatus.FAILED), 0),
            }
        )
    return buckets


def status_counts() -> dict[str, int]:
    """Jobs in each status (every status listed, zero included)."""
    counts = {status: 0 for status in JobStatus.values}
    for _, _, status, count in job_counts():
        counts[status] += count
    return counts


def _job_summary(job: ProcessingJob | None, now: datetime) -> dict[str, Any] | None:
    if job is None:
        return None
    return {
        "id": str(job.id),
        "job_type": job.job_type,
        "status": job.status,
        "queue": job.queue,
        "created_at": job.created_at.isoformat(),
        "age_seconds": round((now - job.created_at).total_seconds(), 1),
    }


def oldest_waiting_job(*, now: datetime) -> dict[str, Any] | None:
    """The pending or queued job that has waited longest, or None."""
    job = (
        ProcessingJob.objects.filter(status__in=WAITING_STATUSES)
        .order_by("created_at")
        .only("id", "job_type", "status", "queue", "created_at")
        .first()
    )
    return _job_summary(job, now)


_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))
_PERIOD_SECONDS = {"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1, "microseconds": 0}


def _interval_text(every: int, period: str) -> str:
    """Say an interval in its largest whole unit: "every hour", "every 15 minutes"."""
    seconds = every * _PERIOD_SECONDS.get(period, 1)
    if seconds <= 0:
        return f"every {every} {period}"
    name, size = next((n, s) for n, s in _UNITS if seconds % s == 0)
    count = seconds // size
    return f"every {name}" if count == 1 else f"every {count} {name}s"


def _schedule_text(task: PeriodicTask) -> str:
    if task.interval is not None:
        return _interval_text(task.interval.every, task.interval.period)
    if task.crontab is not None:
        cron = task.crontab
        fields = (cron.minute, cron.hour, cron.day_of_month, cron.month_of_year, cron.day_of_week)
        return f"cron {' '.join(fields)} ({cron.timezone})"
    scheduler = task.scheduler
    return str(scheduler) if scheduler is not None else "no schedule"


def _admin_change_url(task: PeriodicTask) -> str | None:
    try:
        return reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])
    except NoReverseMatch:  # the beat admin is not installed
        return None


def periodic_tasks() -> list[dict[str, Any]]:
    """Every beat schedule with its last run, state and admin edit link."""
    tasks = PeriodicTask.objects.select_related("interval", "crontab", "solar", "clocked")
    return [
        {
            "id": task.pk,
            "name": task.name,
            "task": task.task,
            "enabled": task.enabled,
            "schedule": _schedule_text(task),
            "queue": task.queue or "",
            "last_run_at": task.last_run_at.isoformat() if task.last_run_at else None,
            "total_run_count": task.total_run_count,
            "description": task.description,
            "admin_url": _admin_change_url(task),
        }
        for task in tasks.order_by("name")
    ]


def live_workers() -> list[str]:
    """Workers alive by their heartbeat rows (no broadcast to wait for)."""
    return list(WorkerHeartbeat.alive().values_list("hostname", flat=True))


def overview_data() -> dict[str, Any]:
    """Everything the overview page shows, as JSON-ready data."""
    now = timezone.now()
    data = {
        "generated_at": now.isoformat(),
        "throughput": throughput_per_minute(now=now),
        "status_counts": status_counts(),
        "oldest_waiting_job": oldest_waiting_job(now=now),
        "periodic_tasks": periodic_tasks(),
        "flower_url": settings.FLOWER_URL or None,
    }
    data["queue_depths"] = broker.queue_depths()
    data["workers"] = live_workers()
    return data
