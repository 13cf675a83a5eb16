"""Recovery: dead workers, lost publishes and cancelled messages never lose or repeat a job."""

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import transaction

from config.celery import app as celery_app
from jobs.models import JobStatus, ProcessingJob
from jobs.services import job_cancel, job_create, job_publish
from tests.waiting import wait_for
from tests.workers import WorkerProcess

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

BROKER = settings.CELERY_BROKER_URL.split(":", 1)[0]
# Redis redelivers unacknowledged tasks once the visibility timeout has passed, when a worker
# starts (or every ~100 s); keep the timeout short here.
VISIBILITY_TIMEOUT = 2
WORKER_ENV = {"CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}


def _status(job: ProcessingJob) -> str:
    job.refresh_from_db()
    return job.status


@pytest.fixture
def private_queue() -> str:
    """A queue only this test's workers consume."""
    return f"test-{uuid.uuid4().hex[:8]}"


@contextmanager
def unreachable_broker() -> Iterator[None]:
    """Make publishing really fail: producers connect to a port nothing listens on."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(celery_app.conf, "broker_write_url", "redis://127.0.0.1:1/0")
        patch.setitem(celery_app.conf, "broker_transport_options", {})
        patch.setattr(celery_app, "_pool", None)
        patch.setattr(celery_app.amqp, "_producer_pool", None)
        yield
    # drop the pools built for the dead address so the next publish reconnects
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def _consume_queue(queue: str) -> tuple[WorkerProcess, ProcessingJob]:
    """Run a worker on `queue` until a follow-up job sent after everything else completes."""
    worker = WorkerProcess(queues=(queue,), concurrency=1).wait_ready()
    try:
        follow_up = job_create(job_type="sleep", params={"seconds": 0}, queue=queue)
        wait_for(lambda: _status(follow_up) == JobStatus.COMPLETED, message="follow-up", timeout=30)
    finally:
        worker.stop()
    return worker, follow_up


def _recover_after_worker_death(job: ProcessingJob) -> None:
    """After a worker dies, the next worker's heartbeat thread reaps its job (any broker),
    unless the broker redelivers the message first; a short visibility timeout lets Redis
    race the reaper too."""
    if BROKER.startswith("redis"):
        time.sleep(VISIBILITY_TIMEOUT + 1)


def test_job_killed_with_its_worker_completes_on_redelivery(private_queue):
    job = job_create(job_type="sleep", params={"seconds": 4}, queue=private_queue)
    first = WorkerProcess(queues=(private_queue,), concurrency=1, env=WORKER_ENV).wait_ready()
    wait_for(lambda: _status(job) == JobStatus.RUNNING, message="running", timeout=30)

    first.kill()  # SIGKILL, as the OOM killer would
    _recover_after_worker_death(job)
    second = WorkerProcess(queues=(private_queue,), concurrency=1, env=WORKER_ENV).wait_ready()
    try:
        wait_for(lambda: _status(job) == JobStatus.COMPLETED, message="completed", timeout=60)
    finally:
        second.stop()

    assert job.attempts == 2
    assert job.worker == second.hostname


def test_job_whose_worker_dies_every_time_fails_at_max_attempts(private_queue):
    job = job_create(job_type="sleep", params={"seconds": 30}, queue=private_queue)
    for attempt in range(1, job.max_attempts + 1):
        worker = WorkerProcess(queues=(private_queue,), concurrency=1, env=WORKER_ENV)
        worker.wait_ready()
        wait_for(
            lambda n=attempt: _status(job) == JobStatus.RUNNING and job.attempts == n,
            message=f"attempt {attempt} running",
            timeout=60,
        )
        worker.kill()
        _recover_after_worker_death(job)

    # the next delivery (or the watchdog) sees the attempts are used up
    last = WorkerProcess(queues=(private_queue,), concurrency=1, env=WORKER_ENV).wait_ready()
    try:
        wait_for(lambda: _status(job) == JobStatus.FAILED, message="failed", timeout=60)
    finally:
        last.stop()

    assert job.attempts == job.max_attempts
    assert "no attempts left" in job.error or "giving up after 3 attempts" in job.error
    assert "died" in job.error or "stopped 3 times" in job.error


def test_cancelled_queued_job_never_runs(private_queue):
    job = job_create(job_type="sleep", params={"seconds": 0}, queue=private_queue)
    assert _status(job) == JobStatus.QUEUED

    job_cancel(job=job)
    # the worker receives (or drops) the message; the job must stay cancelled, never run
    _consume_queue(private_queue)

    assert _status(job) == JobStatus.CANCELLED
    assert job.started_at is None
    assert job.attempts == 0


def test_job_cancelled_before_its_transaction_commits_is_never_published(private_queue):
    # given a job created and cancelled in the same transaction
    with transaction.atomic():
        job = job_create(job_type="sleep", params={"seconds": 0}, queue=private_queue)
        job_cancel(job=job)

    # when a worker consumes the job's queue
    worker, follow_up = _consume_queue(private_queue)

    # then no message was ever sent for the cancelled job
    assert _status(job) == JobStatus.CANCELLED
    assert job.queued_at is None
    assert follow_up.celery_task_id in worker.log()
    assert job.celery_task_id not in worker.log()


def test_a_pending_job_published_twice_is_sent_once(private_queue):
    # given a job left pending because the broker was down when it was created
    with unreachable_broker():
        job = job_create(job_type="sleep", params={"seconds": 0}, queue=private_queue)
    assert _status(job) == JobStatus.PENDING

    # when two publishers race for it (say requeue_stuck and the watchdog)
    outcomes = [job_publish(job=job), job_publish(job=job)]

    # then one of them sends it, and the worker receives and runs it once
    assert outcomes == [True, False]
    worker = WorkerProcess(queues=(private_queue,), concurrency=1).wait_ready()
    try:
        wait_for(lambda: _status(job) == JobStatus.COMPLETED, message="completed", timeout=30)
    finally:
        worker.stop()
    assert job.attempts == 1
    assert worker.log().count(f"[{job.celery_task_id}] received") == 1


def test_job_created_while_the_broker_is_down_is_published_by_requeue_stuck(live_worker):
    # given a job whose publish failed because the broker was unreachable
    with unreachable_broker():
        job = job_create(job_type="sleep", params={"seconds": 0})
        assert _status(job) == JobStatus.PENDING  # nothing lost: the row waits

    # when the operator runs requeue_stuck once the broker is back
    out = StringIO()
    call_command("requeue_stuck", "--older-than", "0", stdout=out)

    # then the job is published and runs, once
    assert str(job.pk) in out.getvalue()
    wait_for(lambda: _status(job) == JobStatus.COMPLETED, message="completed", timeout=30)
    assert job.attempts == 1
