"""Submitting jobs through the API: JSON and multipart, validation and stored uploads."""

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from jobs.models import JobStatus, ProcessingJob

pytestmark = pytest.mark.django_db

URL = "/api/v1/jobs/"


def test_create_with_json_queues_a_validated_job(user_client, user):
    response = user_client.post(URL, {"job_type": "sleep", "params": {"seconds": 2}}, format="json")

    assert response.status_code == 202
    job = ProcessingJob.objects.get(pk=response.json()["id"])
    assert job.created_by == user
    assert job.status == JobStatus.PENDING
    assert job.params["seconds"] == 2.0
    assert job.params["fail"] is False  # defaults are filled in
    assert response.json()["job_type"] == "sleep"


def test_create_with_an_unknown_type_is_a_field_error(user_client):
    response = user_client.post(URL, {"job_type": "mine_bitcoin"}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert "Unknown job type 'mine_bitcoin'" in body["errors"]["job_type"][0]
    assert "sleep" in body["errors"]["job_type"][0]


def test_create_refuses_types_that_are_not_user_submittable(user_client):
    response = user_client.post(URL, {"job_type": "cleanup_old_jobs"}, format="json")

    assert response.status_code == 400
    assert "cannot be submitted" in response.json()["errors"]["job_type"][0]
    assert not ProcessingJob.objects.exists()


def test_create_with_invalid_params_reports_each_field(user_client):
    response = user_client.post(
        URL, {"job_type": "sleep", "params": {"seconds": -1, "fail": "maybe"}}, format="json"
    )

    assert response.status_code == 400
    errors = response.json()["errors"]["params"]
    assert set(errors) == {"seconds", "fail"}
    assert not ProcessingJob.objects.exists()


def test_create_needs_params_to_be_an_object(user_client):
    response = user_client.post(URL, {"job_type": "sleep", "params": [1, 2]}, format="json")

    assert response.status_code == 400
    assert "JSON object" in response.json()["errors"]["params"][0]


def test_create_multipart_stores_the_file_under_the_job(user_client):
    upload = SimpleUploadedFile("../../etc/My Data.csv", b"a,b\n1,2\n", content_type="text/csv")

    response = user_client.post(
        URL,
        {"job_type": "csv_stats", "params": '{"delimiter": "comma"}', "file": upload},
        format="multipart",
    )

    assert response.status_code == 202
    job = ProcessingJob.objects.get(pk=response.json()["id"])
    [name] = job.params["files"]
    assert name == f"jobs/inputs/{job.pk}/My_Data.csv"
    assert job.params["delimiter"] == "comma"
    with default_storage.open(name, "rb") as stored:
        assert stored.read() == b"a,b\n1,2\n"


def test_create_multipart_takes_many_files(user_client):
    uploads = [SimpleUploadedFile("a.png", b"x"), SimpleUploadedFile("a.png", b"y")]

    response = user_client.post(
        URL,
        {"job_type": "resize_images", "params": '{"sizes": ["32x32"]}', "files": uploads},
        format="multipart",
    )

    assert response.status_code == 202
    job = ProcessingJob.objects.get(pk=response.json()["id"])
    assert job.params["files"] == [
        f"jobs/inputs/{job.pk}/a.png",
        f"jobs/inputs/{job.pk}/a-2.png",
    ]


def test_create_multipart_rejects_bad_params_json(user_client):
    response = user_client.post(
        URL,
        {"job_type": "csv_stats", "params": "{not json", "file": SimpleUploadedFile("a.csv", b"")},
        format="multipart",
    )

    assert response.status_code == 400
    assert "Not valid JSON" in response.json()["errors"]["params"][0]


def test_create_without_the_required_file_is_refused(user_client):
    response = user_client.post(URL, {"job_type": "csv_stats"}, format="json")

    assert response.status_code == 400
    assert "exactly one file" in response.json()["errors"]["file"][0]


def test_create_refuses_files_for_a_type_that_takes_none(user_client):
    response = user_client.post(
        URL,
        {"job_type": "sleep", "file": SimpleUploadedFile("a.txt", b"hi")},
        format="multipart",
    )

    assert response.status_code == 400
    assert "takes no files" in response.json()["errors"]["files"][0]


def test_create_does_not_let_clients_point_at_stored_files(user_client):
    response = user_client.post(
        URL,
        {
            "job_type": "csv_stats",
            "params": '{"files": ["videos/someone-else.mp4"]}',
            "file": SimpleUploadedFile("a.csv", b"a\n1\n"),
        },
        format="multipart",
    )

    assert response.status_code == 400
    assert "files" in response.json()["errors"]["params"]


def test_create_with_invalid_params_leaves_no_uploaded_file(user_client):
    before = _stored_inputs()

    response = user_client.post(
        URL,
        {
            "job_type": "csv_stats",
            "params": '{"delimiter": "colon"}',
            "file": SimpleUploadedFile("a.csv", b"a\n1\n"),
        },
        format="multipart",
    )

    assert response.status_code == 400
    assert "delimiter" in response.json()["errors"]["params"]
    assert _stored_inputs() == before


def _stored_inputs() -> set[str]:
    try:
        folders, _ = default_storage.listdir("jobs/inputs")
    except FileNotFoundError:
        return set()
    return {
        f"{folder}/{name}"
        for folder in folders
        for name in default_storage.listdir(f"jobs/inputs/{folder}")[1]
    }
