"""Worker liveness: dead workers' jobs come back within seconds, waiting jobs are left alone.

The test workers beat every second and count as dead after 8 s (tests.workers.TEST_TIMINGS;
production: 15 s / 90 s), so each fault test finishes in well under a minute.
"""

import os
import socket
import uuid
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from config.celery import app as celery_app
from jobs import broker
from jobs.base_task import retry_countdown
from jobs.models import JobStatus, ProcessingJob, WorkerHeartbeat
from jobs.registry import get_job_type
from jobs.services import job_create, jobs_reap_dead_workers, jobs_requeue_stuck
from tests.jobs.factories import ProcessingJobFactory
from tests.waiting import wait_for
from tests.workers import TEST_TIMINGS, WorkerProcess

DEAD_AFTER = float(TEST_TIMINGS["JOBS_WORKER_DEAD_AFTER_SECONDS"])


def _status(job: ProcessingJob) -> str:
    job.refresh_from_db()
    return job.status


def _running_job(worker: str, *, attempts: int = 1, **fields) -> ProcessingJob:
    now = timezone.now()
    fields = {"started_at": now - timedelta(minutes=1), "heartbeat_at": now, **fields}
    return ProcessingJobFactory(
        job_type="sleep", status=JobStatus.RUNNING, worker=worker, attempts=attempts, **fields
    )


def _beat(hostname: str, *, seen_ago: float, started_ago: float = 3600) -> WorkerHeartbeat:
    now = timezone.now()
    return WorkerHeartbeat.objects.create(
        hostname=hostname,
        last_seen_at=now - timedelta(seconds=seen_ago),
        started_at=now - timedelta(seconds=started_ago),
    )


# --- The reaper, on rows -------------------------------------------------------------------
@pytest.mark.django_db
def test_the_running_job_of_a_dead_worker_is_requeued_once(settings):
    settings.JOBS_WORKER_DEAD_AFTER_SECONDS = 90
    _beat("dead@host", seen_ago=120)
    job = _running_job("dead@host")
    old_task_id = job.celery_task_id

    first = jobs_reap_dead_workers()
    second = jobs_reap_dead_workers()

    assert [(o.job_id, o.action) for o in first] == [(str(job.pk), "requeued")]
    assert second == []
    job.refresh_from_db()
    assert job.status == JobStatus.PENDING  # published on commit, under a new task id
    assert job.celery_task_id != old_task_id  # so the old message is skipped if it returns
    assert job.attempts == 1  # the next start counts attempt 2
    assert "dead@host" in job.progress_message and "died" in job.progress_message


@pytest.mark.django_db
def test_a_dead_workers_job_out_of_attempts_fails_saying_the_worker_died(settings):
    settings.JOBS_WORKER_DEAD_AFTER_SECONDS = 90
    _beat("dead@host", seen_ago=120)
    job = _running_job("dead@host", attempts=3, max_attempts=3)

    jobs_reap_dead_workers()

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert "worker dead@host running this job died" in job.error
    assert "no attempts left (3 of 3 used)" in job.error


@pytest.mark.django_db
def test_a_job_left_running_by_a_previous_life_of_the_same_hostname_is_requeued(settings):
    settings.JOBS_WORKER_DEAD_AFTER_SECONDS = 90
    # the worker restarted (same name) after the job started: its heartbeat is fresh
    _beat("celery@host", seen_ago=1, started_ago=10)
    job = _running_job("celery@host")

    outcomes = jobs_reap_dead_workers()

    assert [o.action for o in outcomes] == ["requeued"]
    assert _status(job) == JobStatus.PENDING


@pytest.mark.django_db
def test_a_slow_silent_job_of_a_live_worker_is_never_touched(settings):
    settings.JOBS_WORKER_DEAD_AFTER_SECONDS = 90
    _beat("alive@host", seen_ago=5)
    job = _running_job("alive@host", heartbeat_at=timezone.now() - timedelta(hours=5))

    assert jobs_reap_dead_workers() == []
    assert jobs_requeue_stuck(older_than=timedelta(0)) == []
    assert _status(job) == JobStatus.RUNNING


@pytest.mark.django_db
def test_a_silent_job_of_a_worker_without_heartbeat_row_is_left_to_the_watchdog(settings):
    job = _running_job("old-style@host", heartbeat_at=timezone.now() - timedelta(hours=3))

    assert jobs_reap_dead_workers() == []
    outcomes = jobs_requeue_stuck(older_than=timedelta(hours=2), dry_run=True)
    assert [(o.job_id, o.action) for o in outcomes] == [(str(job.pk), "would requeue")]


# --- Retry timing ------------------------------------------------------------------------
def test_retry_backoff_doubles_from_the_setting_with_bounded_jitter_and_a_cap(settings):
    settings.JOBS_RETRY_BACKOFF_SECONDS = 10
    settings.JOBS_RETRY_BACKOFF_MAX_SECONDS = 100
    for _ in range(50):
        assert 7.5 <= retry_countdown(1) <= 12.5
        assert 15 <= retry_countdown(2) <= 25
        assert 60 <= retry_countdown(4) <= 100
        assert retry_countdown(9) == 100


def test_video_storage_errors_back_off_from_their_own_setting(settings):
    settings.VIDEO_STORAGE_RETRY_BACKOFF_SECONDS = 300
    settings.JOBS_RETRY_BACKOFF_MAX_SECONDS = 3600
    base = get_job_type("video_process").retry_backoff()
    assert base == 300
    assert 225 <= retry_countdown(1, base=base) <= 375


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("channel", "recipient", "attempts"),
    [
        ("email", "someone@example.com", 3),
        ("sms", "+886912345678", 2),
    ],
)
def test_notifications_are_tried_three_times_by_email_and_twice_by_sms(
    channel, recipient, attempts
):
    from notifications.services.messages import notification_send

    notification = notification_send(
        channel=channel,
        recipient=recipient,
        template="render_completed",
        context={"video_title": "Cats", "oss_link": "https://oss.example.com/c.mp4"},
    )

    assert notification.job.max_attempts == attempts


def test_production_defaults():
    # read from a fresh settings module: 15 s beat, dead after 90 s, 60 s backoff up to 1 h
    assert (settings.JOBS_WORKER_HEARTBEAT_SECONDS, settings.JOBS_WORKER_DEAD_AFTER_SECONDS) == (
        15,
        90,
    )
    assert (settings.JOBS_RETRY_BACKOFF_SECONDS, settings.JOBS_RETRY_BACKOFF_MAX_SECONDS) == (
        60,
        3600,
    )


# --- Real workers --------------------------------------------------------------------------
@pytest.fixture
def private_queue() -> str:
    """A queue only this test's workers consume."""
    return f"test-{uuid.uuid4().hex[:8]}"


RABBITMQ_URL = os.environ.get("TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")


def _answers(url: str) -> bool:
    parts = urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port or 5672), timeout=2).close()
    except OSError:
        return False
    return True


@pytest.fixture(params=["session broker", "rabbitmq"])
def broker_env(request) -> Iterator[dict[str, str]]:
    """The session's broker, and RabbitMQ (whatever the session uses) when it answers.

    For RabbitMQ this process publishes there too while the test runs (the producer
    pools are rebuilt for it and dropped afterwards), and the workers get its URL.
    """
    if request.param == "session broker":
        yield {}
        return
    if settings.CELERY_BROKER_URL.startswith("amqp"):
        pytest.skip("the session broker is RabbitMQ already")
    if not _answers(RABBITMQ_URL):
        pytest.skip(f"RabbitMQ does not answer at {RABBITMQ_URL}")
    with pytest.MonkeyPatch.context() as patch:
        for key in ("broker_url", "broker_read_url", "broker_write_url"):
            patch.setitem(celery_app.conf, key, RABBITMQ_URL)
        patch.setitem(celery_app.conf, "broker_transport_options", {})
        patch.setattr(celery_app, "_pool", None)
        patch.setattr(celery_app.amqp, "_producer_pool", None)
        yield {"CELERY_BROKER_URL": RABBITMQ_URL}
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_whole_worker_killed_mid_job_is_noticed_and_its_job_runs_once_more(
    private_queue, broker_env
):
    # given a job running on a worker
    job = job_create(job_type="sleep", params={"seconds": 4}, queue=private_queue)
    first = WorkerProcess(queues=(private_queue,), concurrency=1, env=broker_env).wait_ready()
    wait_for(lambda: _status(job) == JobStatus.RUNNING, message="running", timeout=60)
    first_task_id = job.celery_task_id

    # when the whole worker (main process and pool) is SIGKILLed, and another one starts
    first.kill()
    second = WorkerProcess(queues=(private_queue,), concurrency=1, env=broker_env).wait_ready()
    try:
        # then the job runs again on the new worker (reaped, or redelivered by the broker)
        wait_for(lambda: _status(job) == JobStatus.COMPLETED, message="completed", timeout=120)
        assert job.attempts == 2
        assert job.worker == second.hostname

        # and the old message, if it ever comes back, is skipped: nothing runs a third time
        def handled() -> int:  # dropped as revoked, or run and skipped by job_start
            log = second.log()
            return log.count(f"revoked task: jobs.generic.sleep[{first_task_id}]") + log.count(
                f"[{first_task_id}] succeeded"
            )

        before = handled()
        broker.publish(
            task_name="jobs.generic.sleep",
            job_id=str(job.pk),
            task_id=first_task_id,
            queue=private_queue,
            priority=5,
        )
        wait_for(lambda: handled() > before, message="old message handled", timeout=60)
    finally:
        second.stop()
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.COMPLETED, 2)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_backlog_runs_each_job_once_in_order_and_is_never_called_stuck(private_queue, settings):
    # given a stuck threshold of 0 minutes everywhere: every waiting job is "old"
    settings.JOBS_STUCK_AFTER_MINUTES = 0
    env = {"JOBS_STUCK_AFTER_MINUTES": "0"}
    jobs = [
        job_create(job_type="sleep", params={"seconds": 2}, queue=private_queue) for _ in range(4)
    ]
    worker = WorkerProcess(queues=(private_queue,), concurrency=1, env=env).wait_ready()
    try:
        # while the backlog drains, the watchdog (dry run and real) names none of it
        while not all(_status(job) == JobStatus.COMPLETED for job in jobs):
            for args in (["--dry-run"], []):
                out = StringIO()
                call_command("requeue_stuck", *args, stdout=out)
                named = [str(job.pk) for job in jobs if str(job.pk) in out.getvalue()]
                assert named == [], out.getvalue()
            wait_for(lambda: worker.process.poll() is None, message="worker alive")
            if any(job.status == JobStatus.FAILED for job in jobs):
                break
    finally:
        worker.stop()

    # then each ran once, in the order submitted
    for job in jobs:
        job.refresh_from_db()
        assert (job.status, job.attempts) == (JobStatus.COMPLETED, 1)
        assert worker.log().count(f"[{job.celery_task_id}] received") == 1
    starts = [job.started_at for job in jobs]
    assert starts == sorted(starts)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_retry_shows_when_it_will_run_again(private_queue, staff_client):
    # given a job whose first attempt hits a transient error, and a 3 s backoff
    env = {"JOBS_RETRY_BACKOFF_SECONDS": "3"}
    job = job_create(
        job_type="sleep", params={"seconds": 0, "flaky_attempts": 1}, queue=private_queue
    )
    worker = WorkerProcess(queues=(private_queue,), concurrency=1, env=env).wait_ready()
    try:
        # then while it waits, the API says when it runs again: 3 s +-25% after the failure
        wait_for(
            lambda: _status(job) == JobStatus.QUEUED and job.next_attempt_at,
            message="retry scheduled",
            timeout=60,
        )
        body = staff_client.get(f"/api/v1/jobs/{job.pk}/").json()
        assert body["next_attempt_at"]
        wait_seconds = (job.next_attempt_at - job.queued_at).total_seconds()
        assert 2.25 <= wait_seconds <= 3.75
        wait_for(lambda: _status(job) == JobStatus.COMPLETED, message="completed", timeout=60)
    finally:
        worker.stop()
    assert job.attempts == 2
    assert job.next_attempt_at is None


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_job_whose_database_connection_is_terminated_still_completes(private_queue):
    if connection.vendor != "postgresql":
        pytest.skip("pg_terminate_backend needs PostgreSQL; SQLite has no server connection")
    job = job_create(job_type="sleep", params={"seconds": 6}, queue=private_queue)
    worker = WorkerProcess(queues=(private_queue,), concurrency=1).wait_ready()
    try:
        wait_for(lambda: _status(job) == JobStatus.RUNNING and job.progress > 0, timeout=60)

        # when every other connection to the test database is terminated (the worker's)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            assert cursor.fetchone()[0] >= 1

        # then the job reconnects and finishes, once
        wait_for(lambda: _status(job) == JobStatus.COMPLETED, message="completed", timeout=90)
    finally:
        worker.stop()
    assert job.attempts in (1, 2)
    assert job.result["slept_seconds"] >= 6


@pytest.mark.django_db
def test_heartbeat_rows_of_workers_gone_for_a_day_are_deleted_by_the_reaper():
    _beat("long-gone@host", seen_ago=2 * 86400)
    _beat("recently-dead@host", seen_ago=600)

    jobs_reap_dead_workers()

    hostnames = set(WorkerHeartbeat.objects.values_list("hostname", flat=True))
    assert "recently-dead@host" in hostnames
    assert "long-gone@host" not in hostnames
