"""The lifecycle services on their own (database only): completing and starting a job."""

import pytest

from jobs import signals
from jobs.models import JobStatus, ProcessingJob
from jobs.services import job_complete, job_start
from tests.jobs.factories import ProcessingJobFactory

pytestmark = pytest.mark.django_db


def test_completing_a_running_job_stores_its_result_and_tells_listeners():
    job = ProcessingJobFactory(running=True, progress=40)
    heard: list[ProcessingJob] = []

    def listener(sender, job: ProcessingJob, **kwargs) -> None:
        heard.append(job)

    signals.job_completed.connect(listener)
    try:
        job_complete(job_id=str(job.pk), result={"rows": 3})
    finally:
        signals.job_completed.disconnect(listener)

    job.refresh_from_db()
    assert (job.status, job.progress, job.result) == (JobStatus.COMPLETED, 100, {"rows": 3})
    assert job.completed_at is not None
    assert [(j.pk, j.status, j.result) for j in heard] == [
        (job.pk, JobStatus.COMPLETED, {"rows": 3})
    ]


@pytest.mark.parametrize("state", ["cancelled", "failed"])
def test_a_result_arriving_after_the_job_ended_is_dropped(state):
    # given a job the operator cancelled (or the watchdog failed) while its task still ran
    job = ProcessingJobFactory(running=True)
    ProcessingJob.objects.filter(pk=job.pk).update(status=state)

    job_complete(job_id=str(job.pk), result={"late": True})

    job.refresh_from_db()
    assert job.status == state
    assert job.result is None


def test_start_claims_a_queued_job_for_its_own_task_id_only():
    job = ProcessingJobFactory()

    assert job_start(job_id=str(job.pk), task_id="someone-else", worker="w1@host") is None
    started = job_start(job_id=str(job.pk), task_id=job.celery_task_id, worker="w2@host")

    assert started is not None
    job.refresh_from_db()
    assert (job.status, job.attempts, job.worker) == (JobStatus.RUNNING, 1, "w2@host")
