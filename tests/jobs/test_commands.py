"""Operator commands: requeue_stuck, cleanup_jobs and queue_stats."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command
from django.utils import timezone

from jobs.models import JobStatus, ProcessingJob
from tests.jobs.factories import ProcessingJobFactory

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _words(output: str) -> str:
    return " ".join(output.split())


def _silent_running(**kwargs) -> ProcessingJob:
    old = timezone.now() - timedelta(hours=3)
    return ProcessingJobFactory(running=True, started_at=old, heartbeat_at=old, **kwargs)


# --- requeue_stuck -----------------------------------------------------------------------


def test_requeue_stuck_dry_run_reports_and_changes_nothing():
    silent = _silent_running(attempts=1)
    exhausted = _silent_running(attempts=3, max_attempts=3)
    healthy = ProcessingJobFactory(running=True)

    output = _words(_run("requeue_stuck", "--older-than", "60", "--dry-run"))

    assert f"would requeue {silent.pk} sleep (running)" in output
    assert f"would fail {exhausted.pk} sleep (running)" in output
    assert str(healthy.pk) not in output
    assert "Dry run, nothing changed" in output
    assert ProcessingJob.objects.filter(status=JobStatus.RUNNING).count() == 3


def test_requeue_stuck_requeues_jobs_with_attempts_left_and_fails_the_rest():
    silent = _silent_running(attempts=1)
    exhausted = _silent_running(attempts=3, max_attempts=3)
    old_task_id = silent.celery_task_id

    output = _words(_run("requeue_stuck", "--older-than", "60"))

    silent.refresh_from_db()
    exhausted.refresh_from_db()
    assert silent.status == JobStatus.PENDING
    assert silent.celery_task_id != old_task_id
    assert exhausted.status == JobStatus.FAILED
    assert "no attempts left" in exhausted.error
    assert f"requeued {silent.pk}" in output
    assert f"failed {exhausted.pk}" in output
    assert "no heartbeat from the worker for over 60 min" in output
    assert "1 failed, 1 requeued" in output


def test_requeue_stuck_can_be_limited_to_one_job_type():
    csv_job = _silent_running(job_type="csv_stats")
    sleep_job = _silent_running()

    output = _run("requeue_stuck", "--older-than", "60", "--job-type", "csv_stats")

    assert str(csv_job.pk) in output
    assert str(sleep_job.pk) not in output


def test_requeue_stuck_takes_the_oldest_first_up_to_the_limit():
    now = timezone.now()
    newer = _silent_running(created_at=now - timedelta(hours=4))
    lost_publish = ProcessingJobFactory(
        status=JobStatus.PENDING, queued_at=None, created_at=now - timedelta(hours=5)
    )

    output = _words(_run("requeue_stuck", "--older-than", "60", "--limit", "1"))

    assert f"requeued {lost_publish.pk} sleep (pending)" in output
    assert str(newer.pk) not in output


def test_requeue_stuck_rejects_a_negative_age():
    with pytest.raises(CommandError, match="0 minutes or more"):
        _run("requeue_stuck", "--older-than", "-5")


# --- cleanup_jobs ------------------------------------------------------------------------


def _finished_long_ago(**kwargs) -> ProcessingJob:
    return ProcessingJobFactory(
        completed=True, completed_at=timezone.now() - timedelta(days=40), **kwargs
    )


def _store(name: str) -> str:
    return default_storage.save(name, ContentFile(b"data"))


def test_cleanup_dry_run_counts_without_deleting():
    _finished_long_ago()
    ProcessingJobFactory(completed=True)

    output = _run("cleanup_jobs", "--days", "30", "--dry-run")

    assert "would delete 1 finished job(s) older than 30 day(s)" in output
    assert ProcessingJob.objects.count() == 2


def test_cleanup_deletes_old_finished_jobs_and_keeps_the_rest():
    old = _finished_long_ago()
    recent = ProcessingJobFactory(completed=True)
    old_but_running = _silent_running(created_at=timezone.now() - timedelta(days=60))

    output = _run("cleanup_jobs", "--days", "30", "--batch-size", "1")

    assert "Deleted 1 finished job(s)" in output
    assert not ProcessingJob.objects.filter(pk=old.pk).exists()
    assert set(ProcessingJob.objects.values_list("pk", flat=True)) == {
        recent.pk,
        old_but_running.pk,
    }


def test_cleanup_deletes_the_input_and_output_files_of_deleted_jobs():
    old = _finished_long_ago(job_type="resize_images")
    input_name = _store(f"jobs/inputs/{old.pk}/a.png")
    output_name = _store(f"jobs/outputs/{old.pk}/a_32x32.png")
    old.params = {"files": [input_name], "sizes": ["32x32"]}
    old.save()
    recent = ProcessingJobFactory(completed=True, job_type="resize_images")
    kept_name = _store(f"jobs/outputs/{recent.pk}/b_32x32.png")

    _run("cleanup_jobs", "--days", "30")

    assert not default_storage.exists(input_name)
    assert not default_storage.exists(output_name)
    assert default_storage.exists(kept_name)


def test_cleanup_keeps_uploads_that_a_newer_retry_still_reads():
    original = _finished_long_ago(job_type="csv_stats", status=JobStatus.FAILED)
    input_name = _store(f"jobs/inputs/{original.pk}/data.csv")
    original.params = {"files": [input_name]}
    original.save()
    retry = ProcessingJobFactory(job_type="csv_stats", retry_of=original, params=original.params)

    _run("cleanup_jobs", "--days", "30")

    assert not ProcessingJob.objects.filter(pk=original.pk).exists()
    assert default_storage.exists(input_name)

    # once the retry is old and deleted too, the uploads go with it
    ProcessingJob.objects.filter(pk=retry.pk).update(
        status=JobStatus.COMPLETED, completed_at=timezone.now() - timedelta(days=31)
    )
    _run("cleanup_jobs", "--days", "30")

    assert not default_storage.exists(input_name)


# --- queue_stats -------------------------------------------------------------------------


def test_queue_stats_prints_a_table_by_queue_and_type():
    ProcessingJobFactory.create_batch(2, completed=True)
    ProcessingJobFactory(failed=True, job_type="csv_stats")

    output = _run("queue_stats")

    assert "Jobs: 3" in output
    assert "Last hour: 2 completed, 1 failed" in output
    lines = output.splitlines()
    default_row = next(line for line in lines if line.startswith("default "))
    assert default_row.split()[1:8] == ["0", "0", "0", "2", "1", "0", "3"]
    assert any(line.startswith("csv_stats ") for line in lines)
    assert any(line.startswith("video_processing ") for line in lines)


def test_queue_stats_as_json():
    ProcessingJobFactory(failed=True)

    stats = json.loads(_run("queue_stats", "--json"))

    assert stats["by_status"]["failed"] == 1
    assert "broker_queue_depths" in stats
