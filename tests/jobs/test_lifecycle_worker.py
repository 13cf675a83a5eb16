"""The job lifecycle through a real Celery worker and broker."""

import pytest
from django_celery_results.models import TaskResult

from jobs.models import JobStatus, ProcessingJob
from jobs.services import job_cancel, job_create, job_retry
from tests.waiting import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _status(job: ProcessingJob) -> str:
    job.refresh_from_db()
    return job.status


def test_job_runs_to_completion_with_progress(live_worker, user):
    # given a short sleep job
    job = job_create(job_type="sleep", params={"seconds": 2}, created_by=user)

    # then it is queued, runs with progress, and completes with a result
    wait_for(lambda: _status(job) == JobStatus.RUNNING, message="job running", timeout=30)
    wait_for(lambda: (job.refresh_from_db(), job.progress)[1] > 0, message="progress")
    wait_for(lambda: _status(job) == JobStatus.COMPLETED, message="job completed", timeout=30)
    assert job.attempts == 1
    assert (job.progress, job.progress_message) == (100, "Slept 2 of 2 s")
    assert job.result["slept_seconds"] >= 2
    assert job.queued_at and job.started_at and job.completed_at
    assert job.worker == live_worker.hostname
    # the row is the result store: no second copy in django-celery-results
    assert not TaskResult.objects.filter(task_id=job.celery_task_id).exists()


def test_job_failing_permanently_records_the_reason(live_worker):
    job = job_create(job_type="sleep", params={"seconds": 0, "fail": True})

    wait_for(lambda: _status(job) == JobStatus.FAILED, message="job failed", timeout=30)
    assert job.attempts == 1
    assert "Failed on purpose" in job.error


def test_transient_errors_are_retried_until_the_job_succeeds(live_worker):
    # given a job whose first two attempts hit a transient error
    job = job_create(job_type="sleep", params={"seconds": 0, "flaky_attempts": 2})

    wait_for(lambda: _status(job) == JobStatus.COMPLETED, message="completed", timeout=60)
    assert job.attempts == 3
    assert job.error == ""


def test_transient_errors_fail_the_job_after_max_attempts(live_worker):
    job = job_create(job_type="sleep", params={"seconds": 0, "flaky_attempts": 5})

    wait_for(lambda: _status(job) == JobStatus.FAILED, message="failed", timeout=60)
    assert job.attempts == job.max_attempts == 3
    assert "gave up after 3 attempts" in job.error


def test_cancelling_a_running_job_stops_it_within_seconds(live_worker):
    job = job_create(job_type="sleep", params={"seconds": 60})
    wait_for(lambda: _status(job) == JobStatus.RUNNING, message="running", timeout=30)

    job_cancel(job=job)

    wait_for(lambda: _status(job) == JobStatus.CANCELLED, message="cancelled", timeout=10)
    assert job.cancel_requested_at is not None
    assert job.progress < 100
    assert job.result is None


def test_force_cancel_kills_the_task_and_the_worker_carries_on(live_worker):
    job = job_create(job_type="sleep", params={"seconds": 60})
    wait_for(lambda: _status(job) == JobStatus.RUNNING, message="running", timeout=30)

    job_cancel(job=job, force=True)

    assert _status(job) == JobStatus.CANCELLED
    follow_up = job_create(job_type="sleep", params={"seconds": 0})
    wait_for(lambda: _status(follow_up) == JobStatus.COMPLETED, message="next job", timeout=30)
    assert _status(job) == JobStatus.CANCELLED


def test_retry_of_a_failed_job_runs_a_new_job_with_the_same_params(live_worker, user):
    failed = job_create(job_type="sleep", params={"seconds": 0, "fail": True}, created_by=user)
    wait_for(lambda: _status(failed) == JobStatus.FAILED, message="failed", timeout=30)

    retry = job_retry(job=failed)

    wait_for(lambda: _status(retry) == JobStatus.FAILED, message="retry ran", timeout=30)
    assert retry.pk != failed.pk
    assert retry.retry_of_id == failed.pk
    assert retry.params == failed.params
    assert retry.created_by == user
    assert retry.attempts == 1
