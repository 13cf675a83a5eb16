"""POST /api/v1/renders/notify/: signed render reports, and the render API."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook

from jobs.models import ProcessingJob
from notifications.models import ReceivedWebhook, RenderStatus, VideoRender
from notifications.signatures import generate_secret
from tests.notifications.factories import VideoRenderFactory
from tests.videos.factories import VideoFactory

pytestmark = pytest.mark.django_db

NOTIFY = "/api/v1/renders/notify/"


@pytest.fixture
def secret(settings) -> str:
    settings.RENDER_WEBHOOK_SECRET = generate_secret()
    return settings.RENDER_WEBHOOK_SECRET


def _signed_post(client, body, secret: str, *, msg_id: str | None = None, age=timedelta(0)):
    """Post `body` signed as the renderer would, with the standardwebhooks library."""
    raw = json.dumps(body)
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    sent_at = datetime.now(UTC) - age
    signature = Webhook(secret).sign(msg_id, sent_at, raw)
    return client.post(
        NOTIFY,
        data=raw,
        content_type="application/json",
        HTTP_WEBHOOK_ID=msg_id,
        HTTP_WEBHOOK_TIMESTAMP=str(int(sent_at.timestamp())),
        HTTP_WEBHOOK_SIGNATURE=signature,
    )


def test_signed_report_is_stored(api_client, secret):
    response = _signed_post(
        api_client, {"video_id": "r-1", "status": "processing"}, secret, msg_id="msg_1"
    )

    assert response.status_code == 202
    assert response.json() == {"accepted": 1, "duplicate": False}
    assert VideoRender.objects.get(video_id="r-1").status == RenderStatus.PROCESSING


def test_completed_report_queues_completion_with_its_job(api_client, secret):
    response = _signed_post(
        api_client,
        {"video_id": "r-2", "status": "completed", "oss_link": "https://oss.example.com/r-2.mp4"},
        secret,
    )

    assert response.status_code == 202
    job = ProcessingJob.objects.get(job_type="render_completion")
    assert job.params == {"video_id": "r-2", "oss_link": "https://oss.example.com/r-2.mp4"}
    # completed by process_video_render_completion, not by the request
    assert VideoRender.objects.get(video_id="r-2").status == RenderStatus.PENDING


def test_report_for_a_reelhouse_video_links_to_it(api_client, secret):
    video = VideoFactory()

    _signed_post(api_client, {"video_id": str(video.pk), "status": "processing"}, secret)

    assert VideoRender.objects.get(video_id=str(video.pk)).linked_video == video


def test_batch_is_stored_in_one_request(api_client, secret):
    reports = [
        {"video_id": "b-1", "status": "processing"},
        {"video_id": "b-2", "status": "failed", "error_message": "out of disk"},
        {"video_id": "b-3", "status": "completed", "oss_link": "http://oss.example.com/b-3"},
    ]

    response = _signed_post(api_client, reports, secret)

    assert response.status_code == 202
    assert response.json()["accepted"] == 3
    failed = VideoRender.objects.get(video_id="b-2")
    assert (failed.status, failed.error_message) == ("failed", "out of disk")
    assert VideoRender.objects.count() == 3


def test_repeated_webhook_id_is_accepted_once(api_client, secret):
    report = {"video_id": "r-3", "status": "failed", "error_message": "first"}
    first = _signed_post(api_client, report, secret, msg_id="msg_same")
    VideoRender.objects.filter(video_id="r-3").update(error_message="changed since")

    again = _signed_post(api_client, report, secret, msg_id="msg_same")

    assert first.json() == {"accepted": 1, "duplicate": False}
    assert again.status_code == 202
    assert again.json() == {"accepted": 0, "duplicate": True}
    assert VideoRender.objects.get(video_id="r-3").error_message == "changed since"
    assert ReceivedWebhook.objects.filter(webhook_id="msg_same").count() == 1


def test_forged_signature_is_rejected_and_nothing_stored(api_client, secret):
    response = _signed_post(
        api_client, {"video_id": "r-4", "status": "processing"}, generate_secret()
    )

    assert response.status_code == 401
    assert "signature" in response.json()["detail"]
    assert not VideoRender.objects.exists()
    assert not ReceivedWebhook.objects.exists()


def test_stale_signature_is_rejected_and_nothing_stored(api_client, secret):
    response = _signed_post(
        api_client, {"video_id": "r-5", "status": "processing"}, secret, age=timedelta(minutes=6)
    )

    assert response.status_code == 401
    assert "too old" in response.json()["detail"]
    assert not VideoRender.objects.exists()


def test_tampered_body_is_rejected(api_client, secret):
    raw = json.dumps({"video_id": "r-6", "status": "processing"})
    now = datetime.now(UTC)
    signature = Webhook(secret).sign("msg_t", now, raw)

    response = api_client.post(
        NOTIFY,
        data=raw.replace("processing", "completed"),
        content_type="application/json",
        HTTP_WEBHOOK_ID="msg_t",
        HTTP_WEBHOOK_TIMESTAMP=str(int(now.timestamp())),
        HTTP_WEBHOOK_SIGNATURE=signature,
    )

    assert response.status_code == 401
    assert not VideoRender.objects.exists()


@pytest.mark.parametrize(
    ("report", "field"),
    [
        ({"video_id": "x", "status": "done"}, "status"),
        ({"status": "processing"}, "video_id"),
        ({"video_id": "x", "status": "completed", "oss_link": "ftp://oss/x.mp4"}, "oss_link"),
        ({"video_id": "x", "status": "completed"}, "oss_link"),
    ],
)
def test_invalid_report_is_refused_with_the_field_named(api_client, secret, report, field):
    response = _signed_post(api_client, report, secret)

    assert response.status_code == 400
    assert field in response.json()["detail"]
    assert not VideoRender.objects.exists()


def test_one_bad_report_in_a_batch_stores_none_of_it(api_client, secret):
    reports = [
        {"video_id": "ok-1", "status": "processing"},
        {"video_id": "bad", "status": "exploded"},
    ]

    response = _signed_post(api_client, reports, secret)

    assert response.status_code == 400
    assert not VideoRender.objects.exists()
    assert not ReceivedWebhook.objects.exists()


def test_staff_token_may_report_without_a_signature(staff_client):
    response = staff_client.post(NOTIFY, {"video_id": "s-1", "status": "processing"}, format="json")

    assert response.status_code == 202
    assert VideoRender.objects.filter(video_id="s-1").exists()


def test_unsigned_requests_are_refused(api_client, user_client):
    report = {"video_id": "u-1", "status": "processing"}

    assert api_client.post(NOTIFY, report, format="json").status_code == 401
    assert user_client.post(NOTIFY, report, format="json").status_code == 403
    assert not VideoRender.objects.exists()


def test_signed_request_is_refused_when_no_secret_is_configured(api_client, settings):
    settings.RENDER_WEBHOOK_SECRET = ""

    response = _signed_post(
        api_client, {"video_id": "n-1", "status": "processing"}, "whsec_" + "A" * 44
    )

    assert response.status_code == 401
    assert "RENDER_WEBHOOK_SECRET" in response.json()["detail"]


# --- Reading renders ---------------------------------------------------------------------
def test_staff_list_renders_filtered_by_status(staff_client):
    VideoRenderFactory(video_id="a", status=RenderStatus.COMPLETED)
    VideoRenderFactory(video_id="b", status=RenderStatus.FAILED)

    response = staff_client.get("/api/v1/renders/?status=failed")

    assert response.status_code == 200
    assert [r["video_id"] for r in response.json()["results"]] == ["b"]


def test_render_detail_by_renderer_id(staff_client):
    VideoRenderFactory(video_id="job-77.v2", oss_link="https://oss.example.com/x.mp4")

    response = staff_client.get("/api/v1/renders/job-77.v2/")

    assert response.status_code == 200
    assert response.json()["oss_link"] == "https://oss.example.com/x.mp4"


def test_owners_see_only_renders_of_their_videos(user, user_client):
    mine = VideoRenderFactory(video_id="mine", linked_video=VideoFactory(owner=user))
    VideoRenderFactory(video_id="theirs", linked_video=VideoFactory())

    listed = user_client.get("/api/v1/renders/").json()["results"]

    assert [r["video_id"] for r in listed] == [mine.video_id]
    assert user_client.get("/api/v1/renders/theirs/").status_code == 404
