"""Request bodies: JSON only where JSON is expected, and capped before they are read."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jobs.models import ProcessingJob

pytestmark = pytest.mark.django_db

JOBS = "/api/v1/jobs/"
ECPAY = "/api/v1/webhooks/payments/ecpay/"


@pytest.mark.parametrize(
    "content_type", ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data"]
)
def test_a_json_endpoint_refuses_other_encodings(user_client, content_type):
    body = "job_type=sleep" if "multipart" not in content_type else "x"
    response = user_client.generic("POST", "/api/v1/carts/", body, content_type=content_type)

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_job_submission_takes_json_and_multipart_but_not_forms(user_client):
    form = user_client.generic(
        "POST", JOBS, "job_type=sleep", content_type="application/x-www-form-urlencoded"
    )
    multipart = user_client.post(
        JOBS,
        {"job_type": "csv_stats", "file": SimpleUploadedFile("a.csv", b"a\n1\n")},
        format="multipart",
    )

    assert form.status_code == 415
    assert multipart.status_code == 202


def test_actions_on_a_job_take_json_only(user_client, user):
    from tests.jobs.factories import ProcessingJobFactory

    job = ProcessingJobFactory(created_by=user)

    response = user_client.post(f"{JOBS}{job.pk}/cancel/", {"force": "false"}, format="multipart")

    assert response.status_code == 415


def test_the_ecpay_callback_takes_its_form_encoding_only(api_client):
    response = api_client.post(ECPAY, {"MerchantID": "3002607"}, format="json")

    assert response.status_code == 415


def test_a_json_body_over_the_cap_is_refused_before_it_is_read(user_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"job_type": "sleep", "params": {"pad": "x" * 2000}})

    response = user_client.generic("POST", JOBS, body, content_type="application/json")

    assert response.status_code == 413
    assert "at most 1000 bytes" in response.json()["detail"]
    assert not ProcessingJob.objects.exists()


def test_an_upload_over_the_cap_is_refused_from_its_content_length(settings, user):
    settings.UPLOAD_MAX_BYTES = 10_000
    client = Client()
    client.force_login(user)

    # given a client announcing a 5 GB body it never sends
    response = client.generic(
        "POST",
        JOBS,
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(5 * 1024**3),
    )

    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def test_the_upload_handler_stops_a_body_that_understates_its_size(settings, user_client):
    from config.body_limits import RequestTooLarge, SizeLimitedUploadHandler

    settings.UPLOAD_MAX_BYTES = 1000
    request = user_client.get("/api/health/").wsgi_request
    request.META["CONTENT_TYPE"] = "multipart/form-data"
    request.content_type = "multipart/form-data"
    handler = SizeLimitedUploadHandler(request)
    handler.handle_raw_input(None, request.META, 100, b"x")

    handler.receive_data_chunk(b"x" * 60_000, 0)
    with pytest.raises(RequestTooLarge):
        handler.receive_data_chunk(b"x" * 10_000, 60_000)


def test_video_routes_take_large_bodies_and_others_do_not(rf, settings):
    from config.body_limits import body_limit

    settings.VIDEO_MAX_UPLOAD_BYTES = 500 * 1024**2
    video = rf.post("/api/v1/videos/upload/", content_type="multipart/form-data; boundary=x")
    tus = rf.patch(
        "/api/v1/videos/uploads/0b7c2f9e-7e2a-4a8f-9c55-1d9b1c1f1a2b/",
        content_type="application/offset+octet-stream",
    )
    job = rf.post(JOBS, content_type="multipart/form-data; boundary=x")

    assert body_limit(video) > settings.VIDEO_MAX_UPLOAD_BYTES
    assert body_limit(tus) > settings.VIDEO_MAX_UPLOAD_BYTES
    assert body_limit(job) < 100 * 1024**2


def test_a_malformed_content_length_is_a_400(user_client):
    response = user_client.generic(
        "POST", JOBS, b"{}", content_type="application/json", CONTENT_LENGTH="١٢"
    )

    assert response.status_code == 400


def test_the_stripe_webhook_takes_json_only(api_client):
    response = api_client.generic(
        "POST",
        "/api/v1/webhooks/payments/stripe/",
        "type=payment_intent.succeeded",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 415
