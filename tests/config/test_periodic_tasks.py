"""`manage.py setup_periodic_tasks`: idempotent, respects admin edits, disables leftovers."""

from io import StringIO

import pytest
from django.core.management import call_command
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from jobs.periodic import declared_schedules

pytestmark = pytest.mark.django_db


def _sync(*args: str) -> str:
    out = StringIO()
    call_command("setup_periodic_tasks", *args, stdout=out)
    return out.getvalue()


def test_creates_every_declared_schedule_once():
    _sync()
    _sync()

    declared = {schedule.name for schedule in declared_schedules()}
    assert "jobs: check stuck jobs" in declared
    assert set(PeriodicTask.objects.values_list("name", flat=True)) >= declared
    assert PeriodicTask.objects.filter(name__in=declared).count() == len(declared)
    watchdog = PeriodicTask.objects.get(name="jobs: check stuck jobs")
    assert watchdog.interval.every == 15 * 60
    assert watchdog.queue == "maintenance"
    cleanup = PeriodicTask.objects.get(name="jobs: clean up old jobs")
    assert (cleanup.crontab.minute, cleanup.crontab.hour) == ("0", "2")


def test_keeps_an_operators_admin_edit_unless_forced():
    _sync()
    # given an operator changed the watchdog to every 5 minutes in the admin
    task = PeriodicTask.objects.get(name="jobs: check stuck jobs")
    task.interval, _ = IntervalSchedule.objects.get_or_create(every=300, period="seconds")
    task.save()

    _sync()
    task.refresh_from_db()
    assert task.interval.every == 300

    _sync("--force")
    task.refresh_from_db()
    assert task.interval.every == 15 * 60


def test_disables_but_keeps_a_schedule_no_longer_declared():
    interval, _ = IntervalSchedule.objects.get_or_create(every=60, period="seconds")
    PeriodicTask.objects.create(name="jobs: retired", task="jobs.retired_task", interval=interval)
    PeriodicTask.objects.create(name="someone else's", task="other.task", interval=interval)

    output = _sync()

    assert "disabled: jobs: retired" in output
    assert PeriodicTask.objects.get(name="jobs: retired").enabled is False
    assert PeriodicTask.objects.get(name="someone else's").enabled is True


def test_dry_run_changes_nothing():
    output = _sync("--dry-run")

    assert "would have created" in output
    assert not PeriodicTask.objects.filter(name="jobs: check stuck jobs").exists()
