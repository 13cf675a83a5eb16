"""A thumbnail at a chosen time: POST /videos/{id}/thumbnail/ and seed 004's entry point."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image, ImageChops, ImageStat
from rest_framework.test import APIClient

from config.celery import app as celery_app
from jobs.models import JobStatus, ProcessingJob
from tests.videos import clips
from tests.videos.factories import VideoFactory
from tests.waiting import wait_for
from videos.models import Video, VideoStatus
from videos.tasks import generate_thumbnail


def _request(client, video, at):
    return client.post(f"/api/v1/videos/{video.pk}/thumbnail/", {"at_seconds": at}, format="json")


@pytest.mark.django_db
class TestRequest:
    def test_a_time_inside_the_video_starts_a_job(self, user_client, user):
        video = VideoFactory(owner=user, duration=12.5)

        response = _request(user_client, video, 1.5)

        assert response.status_code == 202
        body = response.json()
        job = ProcessingJob.objects.get(pk=body["job_id"])
        assert (job.job_type, job.queue, job.target) == (
            "video_thumbnail",
            "video_processing",
            video,
        )
        assert job.params == {"video_id": str(video.pk), "at_seconds": 1.5}
        assert body["job"]["status"] == "pending"
        assert body["at_seconds"] == 1.5
        assert response["Location"].endswith(f"/api/v1/jobs/{job.pk}")

    @pytest.mark.parametrize("at", [12.5, 99, -1])
    def test_a_time_outside_the_video_is_a_400(self, user_client, user, at):
        video = VideoFactory(owner=user, duration=12.5)

        response = _request(user_client, video, at)

        assert response.status_code == 400
        assert "at_seconds" in response.json()["errors"]
        assert not ProcessingJob.objects.filter(job_type="video_thumbnail").exists()

    def test_the_error_names_the_videos_length(self, user_client, user):
        video = VideoFactory(owner=user, duration=12.5)

        detail = _request(user_client, video, 13).json()["detail"]

        assert detail == (
            "at_seconds: at_seconds must be at least 0 and less than 12.5 "
            "(the video's length in seconds)."
        )

    @pytest.mark.parametrize("body", [{}, {"at_seconds": "soon"}])
    def test_a_missing_or_unreadable_time_is_a_400(self, user_client, user, body):
        video = VideoFactory(owner=user)

        response = user_client.post(f"/api/v1/videos/{video.pk}/thumbnail/", body, format="json")

        assert response.status_code == 400

    def test_a_video_still_processing_is_a_409(self, user_client, user):
        video = VideoFactory(owner=user, processing=True)

        response = _request(user_client, video, 0.5)

        assert response.status_code == 409
        assert "once it is ready" in response.json()["detail"]

    def test_someone_elses_video_is_a_404(self, user_client, other_user):
        video = VideoFactory(owner=other_user)

        assert _request(user_client, video, 0.5).status_code == 404


def _frame(src: Path, at: float, work: Path) -> Image.Image:
    return Image.open(clips.extract_frame(src, work / f"ref-{at}.png", at=at)).convert("RGB")


def _difference(image: Image.Image, reference: Image.Image) -> float:
    return max(ImageStat.Stat(ImageChops.difference(image, reference)).mean)


def _processed(client, clip: Path) -> Video:
    with clip.open("rb") as f:
        response = client.post("/api/v1/videos/upload/", {"file": f, "title": "T"}, "multipart")
    video = Video.objects.get(pk=response.json()["video_id"])
    wait_for(
        lambda: (video.refresh_from_db(), video.status == VideoStatus.READY)[1],
        timeout=90,
        message="video ready",
    )
    return video


def _job_done(job_id: str) -> ProcessingJob:
    job = ProcessingJob.objects.get(pk=job_id)
    wait_for(lambda: (job.refresh_from_db(), job.is_final)[1], timeout=60, message="job final")
    return job


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_new_thumbnail_url_serves_the_chosen_frame(
    live_worker, user_client, clip_dir, tmp_path
):
    # given a processed 2 s clip whose thumbnail is the frame at 1 s
    clip = clips.make_clip(clip_dir / "thumbs.mp4", seconds=2, size="320x240")
    video = _processed(user_client, clip)
    first_url = user_client.get(f"/api/v1/videos/{video.pk}/").json()["thumbnail_url"]
    old_file = Path(settings.MEDIA_ROOT, video.thumbnail_key)

    # when the owner chooses the frame at 0.4 s and the job completes
    job = _job_done(_request(user_client, video, 0.4).json()["job_id"])

    # then thumbnail_url is a new URL that serves that frame, not the one at 1 s
    assert job.status == JobStatus.COMPLETED, job.error
    body = user_client.get(f"/api/v1/videos/{video.pk}/").json()
    assert body["thumbnail_at"] == 0.4
    assert body["thumbnail_url"].split("?")[0] != first_url.split("?")[0]
    served = APIClient().get(body["thumbnail_url"])
    image = Image.open(io.BytesIO(b"".join(served.streaming_content))).convert("RGB")
    assert _difference(image, _frame(clip, 0.4, tmp_path)) < 8
    assert _difference(image, _frame(clip, 1.0, tmp_path)) > _difference(
        image, _frame(clip, 0.4, tmp_path)
    )
    assert not old_file.exists()  # the replaced thumbnail is gone

    # and a reprocess keeps the chosen moment
    reprocess = _job_done(
        user_client.post(f"/api/v1/videos/{video.pk}/reprocess/").json()["job_id"]
    )
    video.refresh_from_db()
    assert reprocess.status == JobStatus.COMPLETED
    assert video.thumbnail_key == f"processed/{video.pk}/thumbnail.jpg"
    remade = Image.open(Path(settings.MEDIA_ROOT, video.thumbnail_key)).convert("RGB")
    assert _difference(remade, _frame(clip, 0.4, tmp_path)) < 8
    assert sorted(
        p.name for p in Path(settings.MEDIA_ROOT, "processed", str(video.pk)).iterdir()
    ) == sorted(
        [
            "proxy.mp4",
            "thumbnail.jpg",
            "video.mp4",
            video.hls_key.split("/")[2],
            video.storyboard_key.split("/")[2],
        ]
    )


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_seed_generate_thumbnail_task_starts_the_job(live_worker, user_client, clip_dir):
    clip = clips.make_clip(clip_dir / "seed.mp4", seconds=1.5, size="160x120")
    video = _processed(user_client, clip)

    # (it only writes a job row, so it is routed past the encodes queued for video workers)
    route = celery_app.amqp.router.route({}, generate_thumbnail.name)
    assert route["queue"].name == "default"
    generate_thumbnail.delay(str(video.pk), 0.5)

    job = wait_for(
        lambda: ProcessingJob.objects.filter(
            job_type="video_thumbnail", target_object_id=str(video.pk)
        ).first(),
        message="the thumbnail job",
    )
    assert _job_done(job.pk).status == JobStatus.COMPLETED
    video.refresh_from_db()
    assert video.thumbnail_at == 0.5
    assert video.thumbnail_key.startswith(f"processed/{video.pk}/thumbnail-")
