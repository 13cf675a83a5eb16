"""Periodic schedules declared in code, synced into django-celery-beat's tables.

Each app lists its schedules in `<app>/schedules.py` as `SCHEDULES` and registers them
with `register_schedules` in its `AppConfig.ready()`. The sync creates the missing ones by
name, leaves an operator's admin edits alone unless forced, and disables (never deletes)
schedules of a registered app that it no longer declares.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django_celery_beat.models import (
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    PeriodicTasks,
)

from jobs.registry import task_route


@dataclass(frozen=True)
class PeriodicSchedule:
    name: str
    task: str
    cron: str | None = None  # "minute hour day_of_month month_of_year day_of_week", UTC
    every_seconds: int | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    # None (the rule): the queue of the task's job type, from `jobs.registry.task_route`.
    queue: str | None = None
    description: str = ""

    def __post_init__(self) -> None:
        if (self.cron is None) == (self.every_seconds is None):
            raise ValueError(f"{self.name}: give exactly one of cron or every_seconds.")


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    disabled: list[str] = field(default_factory=list)


_registered: dict[str, tuple[PeriodicSchedule, ...]] = {}


def register_schedules(app_name: str, schedules: Iterable[PeriodicSchedule]) -> None:
    """Declare an app's schedules (from its `AppConfig.ready()`).

    The app also claims the task names under `<app_name>.`: a beat entry for one of them
    that no app declares any more is disabled by the sync.
    """
    _registered[app_name] = tuple(schedules)


def declared_schedules() -> list[PeriodicSchedule]:
    """Every registered app's schedules, in the order the apps registered them."""
    return [schedule for schedules in _registered.values() for schedule in schedules]


def _schedule_fields(schedule: PeriodicSchedule) -> dict[str, Any]:
    if schedule.cron:
        minute, hour, day_of_month, month_of_year, day_of_week = schedule.cron.split()
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month_of_year,
            day_of_week=day_of_week,
            timezone="UTC",
        )
        return {"crontab": crontab, "interval": None}
    interval, _ = IntervalSchedule.objects.get_or_create(
        every=schedule.every_seconds, period=IntervalSchedule.SECONDS
    )
    return {"interval": interval, "crontab": None}


def schedule_queue(schedule: PeriodicSchedule) -> str | None:
    """The queue a schedule sends to: its own if it names one, else its task's route."""
    if schedule.queue:
        return schedule.queue
    route = task_route(schedule.task)
    return route["queue"] if route else None


def _desired(schedule: PeriodicSchedule) -> dict[str, Any]:
    return {
        "task": schedule.task,
        "kwargs": json.dumps(schedule.kwargs, sort_keys=True),
        "queue": schedule_queue(schedule),
        "description": schedule.description,
        "enabled": True,
        **_schedule_fields(schedule),
    }


@transaction.atomic
def sync_periodic_tasks(*, force: bool = False, dry_run: bool = False) -> SyncReport:
    """Create declared schedules, update them only with `force`, disable undeclared ones."""
    report = SyncReport()
    declared = declared_schedules()
    names = {schedule.name for schedule in declared}
    for schedule in declared:
        existing = PeriodicTask.objects.filter(name=schedule.name).first()
        if existing is None:
            report.created.append(schedule.name)
            if not dry_run:
                PeriodicTask.objects.create(name=schedule.name, **_desired(schedule))
        elif force:
            report.updated.append(schedule.name)
            if not dry_run:
                for attr, value in _desired(schedule).items():
                    setattr(existing, attr, value)
                existing.save()
        else:
            report.unchanged.append(schedule.name)
    ours = PeriodicTask.objects.filter(enabled=True).exclude(name__in=names)
    for task in ours:
        if task.task.split(".", 1)[0] in _registered:
            report.disabled.append(task.name)
            if not dry_run:
                task.enabled = False
                task.save(update_fields=["enabled"])
    if not dry_run and (report.created or report.updated or report.disabled):
        PeriodicTasks.update_changed()  # tell a running beat to reload its schedule
    return report
