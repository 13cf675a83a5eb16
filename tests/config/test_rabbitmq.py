"""Smoke test: a job travels through RabbitMQ to a real worker, when RabbitMQ answers."""

import socket
import uuid

import pytest
from kombu import Connection

from config.celery import app as celery_app
from jobs.models import JobStatus, ProcessingJob
from tests.waiting import wait_for
from tests.workers import WorkerProcess

RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672//"


def _rabbitmq_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 5672), timeout=1).close()
    except OSError:
        return False
    return True


pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not _rabbitmq_answers(), reason="RabbitMQ is not answering on :5672"),
]


def test_job_sent_through_rabbitmq_is_run_by_a_worker():
    queue = f"smoke-{uuid.uuid4().hex[:8]}"
    job = ProcessingJob.objects.create(
        job_type="sleep",
        params={"seconds": 0},
        queue=queue,
        status=JobStatus.QUEUED,
        celery_task_id=str(uuid.uuid4()),
    )
    worker = WorkerProcess(queues=(queue,), concurrency=1, env={"CELERY_BROKER_URL": RABBITMQ_URL})
    worker.wait_ready()
    try:
        with Connection(RABBITMQ_URL) as connection:
            celery_app.send_task(
                "jobs.generic.sleep",
                args=[str(job.pk)],
                task_id=job.celery_task_id,
                queue=queue,
                priority=9,
                connection=connection,
            )
        wait_for(
            lambda: ProcessingJob.objects.get(pk=job.pk).status == JobStatus.COMPLETED,
            message="job completed via RabbitMQ",
            timeout=60,
        )
    finally:
        worker.stop()
    job.refresh_from_db()
    assert job.worker == worker.hostname
