"""The seed's render tasks through a real worker, and their retry policy."""

import pytest
from django.db import InterfaceError, OperationalError
from standardwebhooks.webhooks import Webhook

from jobs.models import JobStatus, ProcessingJob
from jobs.registry import get_job_type
from notifications.models import DeliveryStatus, Notification, RenderStatus, VideoRender
from notifications.tasks import process_video_render_completion, update_video_render_status
from tests.factories import UserFactory
from tests.notifications.factories import VideoRenderFactory, WebhookEndpointFactory
from tests.videos.factories import VideoFactory
from tests.waiting import wait_for


def test_render_tasks_run_on_the_job_engine_and_retry_database_errors_three_times(settings):
    settings.RENDER_RETRY_BACKOFF_SECONDS = 7
    for task, job_type in (
        (update_video_render_status, "render_status_update"),
        (process_video_render_completion, "render_completion"),
    ):
        assert task.name.startswith("notifications.")
        assert task.job_type_name == job_type
        spec = get_job_type(job_type)
        assert set(spec.retry_for) == {OperationalError, InterfaceError}
        assert spec.max_attempts == 4  # the first try and three retries
        assert spec.retry_backoff() == 7  # RENDER_RETRY_BACKOFF_SECONDS, read at retry time
        assert task.acks_late is True
        assert (task.soft_time_limit, task.time_limit) == (25 * 60, 30 * 60)


def _render(video_id: str) -> VideoRender | None:
    return VideoRender.objects.filter(video_id=video_id).first()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_update_status_task_creates_the_record_and_its_job(notif_worker):
    result = update_video_render_status.delay("seed-1", "processing")

    render = wait_for(lambda: _render("seed-1"), message="render stored")
    assert render.status == RenderStatus.PROCESSING
    job = wait_for(
        lambda: ProcessingJob.objects.filter(
            celery_task_id=result.id, status=JobStatus.COMPLETED
        ).first(),
        message="job completed",
    )
    assert job.job_type == "render_status_update"
    assert job.result == {"video_id": "seed-1", "status": "processing"}


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_completion_notifies_the_owner_by_webhook_and_email(notif_worker, http_server):
    owner = UserFactory()
    video = VideoFactory(owner=owner, title="Sunset")
    url = http_server.route()
    endpoint = WebhookEndpointFactory(owner=owner, url=url, event_types=["render.completed"])
    VideoRenderFactory(video_id=str(video.pk), linked_video=video)

    process_video_render_completion.delay(str(video.pk), "https://oss.example.com/sunset.mp4")

    def completed() -> bool:
        render = _render(str(video.pk))
        return render.status == RenderStatus.COMPLETED

    wait_for(completed, message="render completed")
    delivery = wait_for(
        lambda: endpoint.deliveries.filter(status=DeliveryStatus.DELIVERED).first(),
        message="render.completed delivered",
    )
    (request,) = http_server.received(url)
    payload = Webhook(endpoint.secret).verify(request.body, request.headers)
    assert payload["type"] == "render.completed" == delivery.event_type
    assert payload["data"]["oss_link"] == "https://oss.example.com/sunset.mp4"
    assert payload["data"]["reelhouse_video_id"] == str(video.pk)
    email = wait_for(
        lambda: Notification.objects.filter(template="render_completed", status="sent").first(),
        message="email sent",
    )
    assert email.recipient == owner.email
    assert email.user == owner


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_completion_with_a_bad_link_fails_the_record_with_the_reason(notif_worker, http_server):
    url = http_server.route()
    staff_endpoint = WebhookEndpointFactory(
        owner=UserFactory(is_staff=True, is_superuser=True),
        url=url,
        event_types=["render.failed"],
        all_objects=True,
    )
    VideoRenderFactory(video_id="bad-link")

    result = process_video_render_completion.delay("bad-link", "ftp://oss.example.com/x.mp4")

    def failed() -> bool:
        return _render("bad-link").status == RenderStatus.FAILED

    wait_for(failed, message="render failed")
    render = _render("bad-link")
    assert "oss_link must be an http(s) URL" in render.error_message
    job = ProcessingJob.objects.get(celery_task_id=result.id)
    assert job.status == JobStatus.FAILED
    assert job.attempts == 1
    delivery = wait_for(
        lambda: staff_endpoint.deliveries.filter(status=DeliveryStatus.DELIVERED).first(),
        message="render.failed delivered",
    )
    assert delivery.payload["data"]["video_id"] == "bad-link"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_completed_report_from_the_intake_is_completed_by_the_worker(notif_worker, staff_client):
    response = staff_client.post(
        "/api/v1/renders/notify/",
        [{"video_id": "intake-1", "status": "completed", "oss_link": "https://oss.example.com/i"}],
        format="json",
    )
    assert response.status_code == 202

    def completed() -> bool:
        return _render("intake-1").status == RenderStatus.COMPLETED

    wait_for(completed, message="render completed")
    job = ProcessingJob.objects.get(job_type="render_completion")
    wait_for(lambda: (job.refresh_from_db(), job.status == JobStatus.COMPLETED)[1], message="job")
    assert job.attempts == 1
    assert _render("intake-1").oss_link == "https://oss.example.com/i"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "report",
    [
        ("seed-done", "finished"),  # unknown status
        ("seed-done", "completed", "ftp://oss.example.com/x.mp4"),  # bad link
        ("seed-done", "processing", "not a url"),
    ],
)
def test_malformed_report_never_fails_a_completed_render(notif_worker, report):
    VideoRenderFactory(
        video_id="seed-done", status=RenderStatus.COMPLETED, oss_link="https://oss.example.com/ok"
    )

    result = update_video_render_status.delay(*report)

    job = wait_for(
        lambda: ProcessingJob.objects.filter(
            celery_task_id=result.id, status=JobStatus.FAILED
        ).first(),
        message="the report's job failed",
    )
    assert job.error  # the reason the report was refused is on the job
    render = _render("seed-done")
    assert render.status == RenderStatus.COMPLETED
    assert render.oss_link == "https://oss.example.com/ok"
