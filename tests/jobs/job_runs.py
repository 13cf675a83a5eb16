"""Running the generic job types in tests: through the real worker (`through_worker`,
`finished`) or by calling a job function on a running job row (`running`)."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from jobs.models import FINAL_STATUSES, ProcessingJob
from jobs.progress import JobRun
from tests.jobs.factories import ProcessingJobFactory
from tests.waiting import wait_for

# Runs through the real worker: committed rows, a published task.
through_worker = pytest.mark.django_db(transaction=True)


def finished(job: ProcessingJob) -> ProcessingJob:
    """Wait until the worker has finished the job (in any final status); return it fresh."""

    def final() -> bool:
        job.refresh_from_db()
        return job.status in FINAL_STATUSES

    wait_for(final, timeout=60, message=f"{job.job_type} job to finish")
    return job


def image_bytes(width: int, height: int, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def running(job_type: str, params: dict, files: dict[str, bytes] | None = None) -> JobRun:
    """A running job row with its inputs stored, as the worker would see it."""
    job = ProcessingJobFactory(job_type=job_type, running=True, params=params)
    if files is not None:
        job.params = {
            **params,
            "files": [
                default_storage.save(f"jobs/inputs/{job.pk}/{name}", ContentFile(content))
                for name, content in files.items()
            ],
        }
        job.save(update_fields=["params"])
    return JobRun(job)


def column(result: dict, name: str) -> dict:
    """One column's statistics in a csv_stats result."""
    return next(column for column in result["columns"] if column["name"] == name)
