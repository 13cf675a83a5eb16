"""The generic job types on S3 storage (moto's S3 HTTP server): csv_stats and
resize_images read their inputs from the bucket and write their outputs to it (job
functions called in this process)."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from jobs.job_types.csv_stats import csv_stats
from jobs.job_types.resize_images import resize_images
from jobs.models import JobStatus, ProcessingJob
from jobs.progress import JobRun
from jobs.serializers import with_output_urls
from jobs.services import job_submit
from tests.jobs.job_runs import column, image_bytes


@pytest.mark.django_db
def test_csv_stats_and_resize_images_read_and_write_s3(s3_storage, user):
    csv_job = job_submit(
        job_type="csv_stats",
        params={},
        files=[SimpleUploadedFile("s3.csv", b"n\n1\n2\n3\n")],
        created_by=user,
    )
    resize_job = job_submit(
        job_type="resize_images",
        params={"sizes": ["8x8"]},
        files=[SimpleUploadedFile("s3.png", image_bytes(16, 16))],
        created_by=user,
    )
    for job in (csv_job, resize_job):
        ProcessingJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
        job.refresh_from_db()

    stats = csv_stats.job_function(JobRun(csv_job))
    resized = resize_images.job_function(JobRun(resize_job))

    assert stats["rows"] == 3
    assert column(stats, "n")["mean"] == 2.0
    [output] = resized["outputs"]
    assert output["name"] == f"jobs/outputs/{resize_job.pk}/s3_8x8.png"
    resize_job.result = resized
    [signed] = with_output_urls(resize_job, None)["outputs"]
    assert signed["url"].startswith("http://127.0.0.1:")
    assert "Signature=" in signed["url"]
    with default_storage.open(output["name"], "rb") as stored:
        assert Image.open(stored).size == (8, 8)
