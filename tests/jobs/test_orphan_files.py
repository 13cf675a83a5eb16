"""Files before rows in the jobs app: uploads are stored outside the transaction that
writes the job, and one sweep deletes every app's files whose row never committed."""

import os
import time
import uuid
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from jobs import receivers as jobs_receivers
from jobs.models import JobStatus, ProcessingJob
from jobs.orphans import ORPHAN_MIN_AGE, orphan_files_sweep
from jobs.services import job_submit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def isolated_media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def _age(name: str, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(default_storage.path(name), (then, then))


def test_submitted_uploads_are_stored_before_the_transaction(isolated_media, user, monkeypatch):
    saves: list[bool] = []
    real_save = default_storage.save

    def spy(name, content, **kwargs):
        saves.append(connection.in_atomic_block)
        return real_save(name, content, **kwargs)

    monkeypatch.setattr(default_storage, "save", spy)
    monkeypatch.setattr(jobs_receivers, "job_publish", lambda job: None)  # no worker runs it

    job = job_submit(
        job_type="csv_stats",
        params={},
        files=[SimpleUploadedFile("fruit.csv", b"a,b\n1,2\n")],
        created_by=user,
    )

    assert saves == [False]
    assert default_storage.exists(job.params["files"][0])


def test_sweep_deletes_old_files_whose_row_never_committed(isolated_media):
    # given the uploads of a job whose row never committed, an old job's files, a fresh
    # upload whose row is about to commit, and a file the jobs app does not name
    lost = f"jobs/inputs/{uuid.uuid4()}/data.csv"
    kept_job = ProcessingJob.objects.create(
        job_type="sleep", status=JobStatus.COMPLETED, celery_task_id=str(uuid.uuid4())
    )
    kept = f"jobs/outputs/{kept_job.pk}/result.csv"
    fresh = f"jobs/inputs/{uuid.uuid4()}/new.csv"
    foreign = "jobs/outputs/not-a-job/result.csv"
    for name in (lost, kept, fresh, foreign):
        default_storage.save(name, ContentFile(b"x"))
    for name in (lost, kept, foreign):
        _age(name, ORPHAN_MIN_AGE.total_seconds() + 60)

    # when the sweep runs
    result = orphan_files_sweep()

    # then only the old file without a row is gone
    assert result["deleted"] == [lost]
    assert not default_storage.exists(lost)
    assert all(default_storage.exists(name) for name in (kept, fresh, foreign))
    assert ProcessingJob.objects.filter(pk=kept_job.pk).exists()


def test_one_sweep_is_scheduled_for_every_apps_files():
    from jobs.orphans import file_owners
    from jobs.periodic import declared_schedules

    sweeps = [s for s in declared_schedules() if "sweep_orphaned_files" in s.task]
    assert [s.task for s in sweeps] == ["jobs.cleanup.sweep_orphaned_files"]
    assert {"jobs", "videos", "commerce.sales_reports"} <= {o.name for o in file_owners()}
