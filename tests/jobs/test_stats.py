"""Queue statistics: what operators and users see about the jobs in flight."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs.models import JobStatus
from jobs.selectors import queue_statistics
from tests.jobs.factories import ProcessingJobFactory

pytestmark = pytest.mark.django_db


def test_counts_jobs_by_status_type_and_queue():
    ProcessingJobFactory.create_batch(2, completed=True)
    ProcessingJobFactory(failed=True, job_type="csv_stats")
    ProcessingJobFactory(running=True, job_type="resize_images", queue="video_processing")

    stats = queue_statistics()

    assert stats["total"] == 4
    assert stats["by_status"] == {
        "pending": 0,
        "queued": 0,
        "running": 1,
        "completed": 2,
        "failed": 1,
        "cancelled": 0,
    }
    assert stats["by_type"]["sleep"]["completed"] == 2
    assert stats["by_type"]["csv_stats"]["failed"] == 1
    assert stats["by_queue"]["video_processing"]["running"] == 1
    assert stats["by_queue"]["high_priority"] == dict.fromkeys(JobStatus.values, 0)


def test_reports_how_long_the_oldest_job_has_been_waiting():
    now = timezone.now()
    ProcessingJobFactory(
        status=JobStatus.PENDING, queued_at=None, created_at=now - timedelta(minutes=10)
    )
    ProcessingJobFactory(
        status=JobStatus.PENDING, queued_at=None, created_at=now - timedelta(minutes=1)
    )
    ProcessingJobFactory(queued_at=now - timedelta(minutes=3))

    stats = queue_statistics()

    assert stats["oldest_pending_age_seconds"] == pytest.approx(600, abs=5)
    assert stats["oldest_queued_age_seconds"] == pytest.approx(180, abs=5)


def test_without_waiting_jobs_the_ages_are_empty():
    ProcessingJobFactory(completed=True)

    stats = queue_statistics()

    assert stats["oldest_pending_age_seconds"] is None
    assert stats["oldest_queued_age_seconds"] is None


def test_counts_only_the_last_hour_of_outcomes():
    ProcessingJobFactory.create_batch(2, completed=True)
    ProcessingJobFactory(failed=True)
    ProcessingJobFactory(completed=True, completed_at=timezone.now() - timedelta(hours=2))

    stats = queue_statistics()

    assert stats["completed_last_hour"] == 2
    assert stats["failed_last_hour"] == 1


def test_reports_broker_queue_depths_for_every_queue():
    stats = queue_statistics()

    assert set(stats["broker_queue_depths"]) == {
        "high_priority",
        "default",
        "user_jobs",
        "low_priority",
        "video_processing",
        "maintenance",
    }
    assert all(depth is None or depth >= 0 for depth in stats["broker_queue_depths"].values())


def test_a_users_statistics_cover_only_their_jobs_and_not_the_broker(user, other_user):
    ProcessingJobFactory(created_by=user, failed=True)
    ProcessingJobFactory.create_batch(2, created_by=other_user, completed=True)

    stats = queue_statistics(created_by=user)

    assert stats["scope"] == "own"
    assert stats["total"] == 1
    assert stats["failed_last_hour"] == 1
    assert stats["completed_last_hour"] == 0
    assert stats["broker_queue_depths"] is None
    assert list(stats["by_queue"]) == ["default"]


def test_waiting_and_running_counts_are_live_finished_counts_refresh_each_minute(settings):
    settings.JOBS_FINISHED_COUNTS_CACHE_SECONDS = 60
    ProcessingJobFactory(completed=True)
    assert queue_statistics()["by_status"]["completed"] == 1

    ProcessingJobFactory(completed=True)
    ProcessingJobFactory(status=JobStatus.PENDING)
    ProcessingJobFactory(running=True)
    stats = queue_statistics()

    assert stats["by_status"]["pending"] == 1
    assert stats["by_status"]["running"] == 1
    assert stats["by_status"]["completed"] == 1  # counted a moment ago: kept for a minute

    settings.JOBS_FINISHED_COUNTS_CACHE_SECONDS = 0
    assert queue_statistics()["by_status"]["completed"] == 2
