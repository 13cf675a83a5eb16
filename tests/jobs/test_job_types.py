"""The generic job types: csv_stats, send_emails and resize_images.

One good and one bad input of each type run through the real worker; the edge cases
call the job function directly with a JobRun on a running job row.
"""

import io
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from jobs.errors import PermanentJobError, TransientJobError
from jobs.job_types.csv_stats import csv_stats
from jobs.job_types.resize_images import ResizeImagesParams, resize_images
from jobs.job_types.send_emails import SendEmailsParams, send_emails
from jobs.models import FINAL_STATUSES, JobStatus, ProcessingJob
from jobs.progress import JobRun
from jobs.serializers import with_output_urls
from jobs.services import job_create, job_submit
from tests.jobs.factories import ProcessingJobFactory
from tests.servers import moto_server
from tests.waiting import wait_for

# Runs through the real worker: committed rows, a published task.
through_worker = pytest.mark.django_db(transaction=True)


def _finished(job: ProcessingJob) -> ProcessingJob:
    def final() -> bool:
        job.refresh_from_db()
        return job.status in FINAL_STATUSES

    wait_for(final, timeout=60, message=f"{job.job_type} job to finish")
    return job


def _image(width: int, height: int, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def _running(job_type: str, params: dict, files: dict[str, bytes] | None = None) -> JobRun:
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


def _mail_containing(subject: str) -> str:
    folder = Path(settings.EMAIL_FILE_PATH)
    texts = [path.read_text() for path in folder.glob("*")] if folder.exists() else []
    return "\n".join(text for text in texts if subject in text)


def _column(result: dict, name: str) -> dict:
    return next(column for column in result["columns"] if column["name"] == name)


# --- csv_stats ---------------------------------------------------------------------------


@pytest.mark.worker
@through_worker
def test_csv_stats_reports_rows_and_column_statistics(live_worker, user):
    data = b"name,price,qty\napple,1.5,3\npear,2.5,\nplum,x,1\n"
    job = job_submit(
        job_type="csv_stats",
        params={},
        files=[SimpleUploadedFile("fruit.csv", data)],
        created_by=user,
    )

    job = _finished(job)

    assert job.status == JobStatus.COMPLETED, job.error
    assert job.result["file"] == "fruit.csv"
    assert job.result["rows"] == 3
    assert _column(job.result, "price") == {
        "name": "price",
        "non_empty": 3,
        "numeric": 2,
        "min": 1.5,
        "max": 2.5,
        "mean": 2.0,
    }
    assert _column(job.result, "qty")["non_empty"] == 2


@pytest.mark.worker
@through_worker
def test_csv_stats_fails_with_the_line_of_a_short_row(live_worker, user):
    data = b"a,b,c,d\n1,2,3,4\n" + b"5,6,7,8\n" * 14 + b"9,10,11\n"
    job = job_submit(
        job_type="csv_stats",
        params={},
        files=[SimpleUploadedFile("bad.csv", data)],
        created_by=user,
    )

    job = _finished(job)

    assert job.status == JobStatus.FAILED
    assert job.error == "Line 17: expected 4 fields, found 3."
    assert job.attempts == 1  # bad input is not retried


@pytest.mark.django_db
def test_csv_stats_honours_the_delimiter_and_skips_blank_lines():
    run = _running("csv_stats", {"delimiter": "semicolon"}, {"a.csv": b"x;y\r\n1;2\r\n\r\n3;4\r\n"})

    result = csv_stats.job_function(run)

    assert result["rows"] == 2
    assert _column(result, "y") == {
        "name": "y",
        "non_empty": 2,
        "numeric": 2,
        "min": 2.0,
        "max": 4.0,
        "mean": 3.0,
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty; expected a header row."),
        (b'a,b\n1,"unclosed\n', "Line 2: unexpected end of data."),
        (b"a,b\n1,2\n\xff\xfe,3\n", "the file is not UTF-8 text"),
        (b'a,b\n1,"x"y\n', "Line 2: ',' expected after '\"'."),
    ],
    ids=["empty", "unclosed-quote", "not-utf8", "stray-quote"],
)
def test_csv_stats_explains_malformed_files(content, message):
    run = _running("csv_stats", {}, {"a.csv": content})

    with pytest.raises(PermanentJobError) as failure:
        csv_stats.job_function(run)

    assert message in str(failure.value)


@pytest.mark.django_db
def test_csv_stats_fails_clearly_when_its_upload_is_gone():
    run = _running("csv_stats", {"files": ["jobs/inputs/missing/a.csv"]})

    with pytest.raises(PermanentJobError, match="no longer exists"):
        csv_stats.job_function(run)


# --- send_emails -------------------------------------------------------------------------


@pytest.mark.worker
@through_worker
def test_send_emails_sends_one_message_each_and_reports_invalid_addresses(live_worker, user):
    subject = "Weekly digest 7f3a"
    job = job_create(
        job_type="send_emails",
        params={
            "recipients": ["ann@example.com", "not-an-address", "bob@example.com"],
            "subject": subject,
            "body": "Hello from Reelhouse.",
        },
        created_by=user,
    )

    job = _finished(job)

    assert job.status == JobStatus.COMPLETED, job.error
    assert job.result["sent"] == ["ann@example.com", "bob@example.com"]
    assert job.result["invalid"] == ["not-an-address"]
    mail = _mail_containing(subject)
    assert mail.count(f"Subject: {subject}") == 2
    assert "To: ann@example.com" in mail
    assert "To: bob@example.com" in mail


@pytest.mark.worker
@through_worker
def test_send_emails_with_no_valid_recipient_fails(live_worker, user):
    job = job_create(
        job_type="send_emails",
        params={"recipients": ["nobody", "@example.com"], "subject": "Hi", "body": "Hi"},
        created_by=user,
    )

    job = _finished(job)

    assert job.status == JobStatus.FAILED
    assert job.error == ("None of the 2 recipients is a valid email address: nobody, @example.com.")


@pytest.mark.django_db
def test_send_emails_skips_duplicate_addresses(mailoutbox):
    run = _running(
        "send_emails",
        {"recipients": ["a@example.com", "A@example.com "], "subject": "S", "body": "B"},
    )

    result = send_emails.job_function(run)

    assert result["sent"] == ["a@example.com"]
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["a@example.com"]


@pytest.mark.django_db
def test_send_emails_retries_when_the_mail_server_is_down(settings):
    # given an SMTP server address where nothing listens
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2
    run = _running("send_emails", {"recipients": ["a@example.com"], "subject": "S", "body": "B"})

    # then nothing was sent, so the job asks to be retried
    with pytest.raises(TransientJobError, match="Could not connect to the mail server"):
        send_emails.job_function(run)


def test_send_emails_validates_its_params():
    empty = SendEmailsParams(data={"recipients": [], "subject": "", "body": "x"})
    header_injection = SendEmailsParams(
        data={"recipients": ["a@example.com"], "subject": "Hi\nBcc: x@example.com", "body": "x"}
    )

    assert not empty.is_valid()
    assert set(empty.errors) == {"recipients", "subject"}
    assert not header_injection.is_valid()
    assert header_injection.errors["subject"] == ["The subject must be a single line."]


# --- resize_images -----------------------------------------------------------------------


@pytest.mark.worker
@through_worker
def test_resize_images_writes_each_size_with_its_real_dimensions(live_worker, user):
    job = job_submit(
        job_type="resize_images",
        params={"sizes": ["32x32", "10x40"], "mode": "fit"},
        files=[
            SimpleUploadedFile("wide.png", _image(64, 48)),
            SimpleUploadedFile("tall.jpg", _image(20, 60, fmt="JPEG")),
        ],
        created_by=user,
    )

    job = _finished(job)

    assert job.status == JobStatus.COMPLETED, job.error
    outputs = {o["name"]: o for o in job.result["outputs"]}
    assert set(outputs) == {
        f"jobs/outputs/{job.pk}/wide_32x32.png",
        f"jobs/outputs/{job.pk}/wide_10x40.png",
        f"jobs/outputs/{job.pk}/tall_32x32.jpg",
        f"jobs/outputs/{job.pk}/tall_10x40.jpg",
    }
    wide = outputs[f"jobs/outputs/{job.pk}/wide_32x32.png"]
    assert (wide["width"], wide["height"]) == (32, 24)
    assert "url" not in wide  # links expire, so the API signs one per request
    with default_storage.open(wide["name"], "rb") as stored:
        assert Image.open(stored).size == (32, 24)
    # the API hands the owner a signed link to each output
    client = APIClient()
    client.force_authenticate(user)
    api_outputs = client.get(f"/api/v1/jobs/{job.pk}/").json()["result"]["outputs"]
    url = next(o["url"] for o in api_outputs if o["name"] == wide["name"])
    assert f"/media/jobs/outputs/{job.pk}/wide_32x32.png?expires=" in url
    assert Image.open(io.BytesIO(b"".join(client.get(url).streaming_content))).size == (32, 24)


@pytest.mark.worker
@through_worker
def test_resize_images_fails_on_a_file_that_is_not_an_image(live_worker, user):
    job = job_submit(
        job_type="resize_images",
        params={},
        files=[SimpleUploadedFile("notes.png", b"just text")],
        created_by=user,
    )

    job = _finished(job)

    assert job.status == JobStatus.FAILED
    assert job.error.startswith("notes.png: not an image that can be read")


@pytest.mark.django_db
def test_resize_images_crop_fills_the_box_and_a_rerun_overwrites():
    run = _running("resize_images", {"sizes": ["16x16"], "mode": "crop"}, {"a.png": _image(40, 20)})

    first = resize_images.job_function(run)
    second = resize_images.job_function(run)  # at-least-once: the task ran twice

    assert first["outputs"][0]["name"] == second["outputs"][0]["name"]
    assert (second["outputs"][0]["width"], second["outputs"][0]["height"]) == (16, 16)
    _, stored = default_storage.listdir(f"jobs/outputs/{run.job_id}")
    assert stored == ["a_16x16.png"]


@pytest.mark.django_db
def test_resize_images_never_enlarges_in_fit_mode():
    run = _running("resize_images", {"sizes": ["100x100"]}, {"small.png": _image(30, 10)})

    result = resize_images.job_function(run)

    assert (result["outputs"][0]["width"], result["outputs"][0]["height"]) == (30, 10)


@pytest.mark.parametrize(
    ("sizes", "stored"),
    [(["320x240"], ["320x240"]), ([[320, 240], "64X48"], ["320x240", "64x48"])],
)
def test_resize_images_takes_sizes_as_text_or_width_height_pairs(sizes, stored):
    serializer = ResizeImagesParams(data={"files": ["x"], "sizes": sizes})

    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["sizes"] == stored


@pytest.mark.parametrize(
    "size", ["0x10", "10", "5000x10", "axb", [0, 10], [5000, 10], [1, 2, 3], [True, 2], ["1", 2]]
)
def test_resize_images_rejects_bad_sizes(size):
    serializer = ResizeImagesParams(data={"files": ["x"], "sizes": [size]})

    assert not serializer.is_valid()
    assert "sizes" in serializer.errors


# --- On S3 (moto's S3 HTTP server; job functions called in this process) ------------------


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_storage(s3_endpoint, settings) -> None:
    """Make default storage a fresh bucket on the moto server."""
    bucket = f"jobs-{uuid.uuid4().hex[:12]}"
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    boto3.client(
        "s3", endpoint_url=s3_endpoint, region_name="us-east-1", **credentials
    ).create_bucket(Bucket=bucket)
    settings.AWS_STORAGE_BUCKET_NAME = bucket
    settings.AWS_S3_ENDPOINT_URL = s3_endpoint
    settings.AWS_ACCESS_KEY_ID = "testing"
    settings.AWS_SECRET_ACCESS_KEY = "testing"
    settings.AWS_S3_REGION_NAME = "us-east-1"
    settings.AWS_QUERYSTRING_AUTH = True
    settings.AWS_DEFAULT_ACL = None
    settings.AWS_S3_FILE_OVERWRITE = True
    # Last: changing STORAGES rebuilds default_storage with the AWS settings above.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage"},
    }


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
        files=[SimpleUploadedFile("s3.png", _image(16, 16))],
        created_by=user,
    )
    for job in (csv_job, resize_job):
        ProcessingJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)
        job.refresh_from_db()

    stats = csv_stats.job_function(JobRun(csv_job))
    resized = resize_images.job_function(JobRun(resize_job))

    assert stats["rows"] == 3
    assert _column(stats, "n")["mean"] == 2.0
    [output] = resized["outputs"]
    assert output["name"] == f"jobs/outputs/{resize_job.pk}/s3_8x8.png"
    resize_job.result = resized
    [signed] = with_output_urls(resize_job, None)["outputs"]
    assert signed["url"].startswith("http://127.0.0.1:")
    assert "Signature=" in signed["url"]
    with default_storage.open(output["name"], "rb") as stored:
        assert Image.open(stored).size == (8, 8)
