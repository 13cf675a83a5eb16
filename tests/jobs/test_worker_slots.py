"""Capacity: each live worker's busy and idle slots and each queue's consumers, from the
heartbeat rows (on /metrics and the dashboard overview)."""

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from jobs.dashboard.overview import overview_data
from jobs.models import JobStatus, ProcessingJob, WorkerHeartbeat
from jobs.services import job_create
from tests.waiting import wait_for
from tests.workers import WorkerProcess


def _samples(text: str) -> dict[tuple[str, tuple], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _metrics(staff_user) -> dict[tuple[str, tuple], float]:
    client = Client()
    client.force_login(staff_user)
    return _samples(client.get("/metrics").content.decode())


@pytest.mark.django_db
def test_metrics_show_live_workers_slots_and_queue_consumers(staff_user):
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        hostname="video@a", queues=["video_processing"], concurrency=1, busy=1, last_seen_at=now
    )
    WorkerHeartbeat.objects.create(
        hostname="general@b",
        queues=["default", "maintenance"],
        concurrency=4,
        busy=1,
        last_seen_at=now,
    )
    WorkerHeartbeat.objects.create(  # dead: silent for 10 minutes
        hostname="gone@c",
        queues=["default"],
        concurrency=8,
        last_seen_at=now - timedelta(minutes=10),
    )

    samples = _metrics(staff_user)

    slots = {k: v for k, v in samples.items() if k[0] == "reelhouse_worker_slots"}
    assert slots == {
        ("reelhouse_worker_slots", (("state", "busy"), ("worker", "video@a"))): 1,
        ("reelhouse_worker_slots", (("state", "idle"), ("worker", "video@a"))): 0,
        ("reelhouse_worker_slots", (("state", "busy"), ("worker", "general@b"))): 1,
        ("reelhouse_worker_slots", (("state", "idle"), ("worker", "general@b"))): 3,
    }
    consumers = {k[1][0][1]: v for k, v in samples.items() if k[0] == "reelhouse_queue_consumers"}
    assert consumers["default"] == 1  # the dead worker is not counted
    assert consumers["video_processing"] == 1
    assert consumers["user_jobs"] == 0  # nobody consumes it: an operator must see that
    assert sorted(overview_data()["workers"]) == ["general@b", "video@a"]


def _wait_for_status(job: ProcessingJob, status: JobStatus) -> None:
    wait_for(
        lambda: ProcessingJob.objects.get(pk=job.pk).status == status,
        message=f"job {status}",
        timeout=60,
    )


def _wait_for_busy_slots(worker: WorkerProcess, busy: int) -> None:
    wait_for(
        lambda: WorkerHeartbeat.objects.get(hostname=worker.hostname).busy == busy,
        message=f"{busy} busy slot(s)",
        timeout=30,
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_reports_its_slots_busy_while_it_runs_a_job():
    queue = f"test-{uuid.uuid4().hex[:8]}"
    worker = WorkerProcess(queues=(queue,), concurrency=2).wait_ready()
    try:
        beat = wait_for(
            lambda: WorkerHeartbeat.objects.filter(hostname=worker.hostname).first(),
            message="heartbeat row",
            timeout=60,
        )
        assert (beat.concurrency, beat.queues) == (2, [queue])

        job = job_create(job_type="sleep", params={"seconds": 6}, queue=queue)
        _wait_for_status(job, JobStatus.RUNNING)
        _wait_for_busy_slots(worker, 1)
        _wait_for_status(job, JobStatus.COMPLETED)
        _wait_for_busy_slots(worker, 0)
    finally:
        worker.stop()
