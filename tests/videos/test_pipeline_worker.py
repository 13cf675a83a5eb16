"""Uploads processed end to end by a real Celery worker running real ffmpeg."""

from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from jobs.models import JobStatus, ProcessingJob
from jobs.services import job_cancel
from tests.videos import clips
from tests.waiting import wait_for
from videos.media import probe
from videos.models import Video, VideoStatus

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

DONE = (VideoStatus.READY, VideoStatus.ERROR)


def _upload(client, path: Path, *, title: str = "Clip") -> Video:
    with path.open("rb") as f:
        response = client.post("/api/v1/videos/upload/", {"file": f, "title": title}, "multipart")
    assert response.status_code == 202, response.json()
    return Video.objects.get(pk=response.json()["video_id"])


def _finished(video: Video, timeout: float = 90) -> Video:
    """Wait until the video is ready or in error and its processing job has ended.

    The task marks the video ready before the engine completes the job, so both are awaited.
    """

    def done() -> bool:
        video.refresh_from_db()
        if video.status not in DONE:
            return False
        job = ProcessingJob.objects.filter(pk=video.current_job_id).first()
        return job is None or job.is_final

    wait_for(done, timeout=timeout, message=f"video {video.pk} ready or error")
    return video


def _media(key: str) -> Path:
    return Path(settings.MEDIA_ROOT, key)


def _assert_renditions(video: Video, *, width: int, height: int, audio: bool) -> None:
    """Probe and decode what the pipeline really wrote."""
    main = probe(_media(video.mp4_key))
    assert main.video_codec == "h264"
    assert (main.display_width, main.display_height) == (width, height)
    assert main.has_audio is audio
    proxy = probe(_media(video.proxy_key))
    assert proxy.video_codec == "h264"
    assert proxy.display_height <= 480
    assert proxy.fps == pytest.approx(10)
    with Image.open(_media(video.thumbnail_key)) as thumbnail:
        thumbnail.load()
        assert thumbnail.format == "JPEG"
        assert thumbnail.size == (width, height)


@pytest.mark.parametrize("extension", [".mp4", ".mov", ".avi"])
def test_upload_becomes_ready_with_real_renditions(live_worker, user_client, clip_dir, extension):
    # given a real 1.5 s clip with sound in the container under test
    clip = clips.make_clip(clip_dir / f"source{extension}", seconds=1.5, size="320x240")

    # when it is uploaded and the worker processes it
    video = _finished(_upload(user_client, clip))

    # then the video is ready with its metadata and three real renditions
    assert video.status == VideoStatus.READY, video.error_reason
    assert video.duration == pytest.approx(1.5, abs=0.1)
    assert (video.width, video.height, video.rotation) == (320, 240, 0)
    assert video.has_audio is True
    assert video.processed_at is not None
    assert video.mp4_key == f"processed/{video.pk}/video.mp4"
    _assert_renditions(video, width=320, height=240, audio=True)
    job = ProcessingJob.objects.get(pk=video.current_job_id)
    assert (job.status, job.progress, job.attempts) == (JobStatus.COMPLETED, 100, 1)
    assert job.worker == live_worker.hostname


def test_ready_video_is_downloadable_from_its_api_urls(live_worker, user_client, mp4_clip):
    video = _finished(_upload(user_client, mp4_clip))

    body = user_client.get(f"/api/v1/videos/{video.pk}/").json()

    assert body["status"] == "ready"
    assert body["job"]["status"] == "completed"
    for field, key in (("url_mp4", video.mp4_key), ("thumbnail_url", video.thumbnail_key)):
        assert body[field].startswith("http://testserver/")
        response = user_client.get(body[field])
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == _media(key).read_bytes()


def test_clip_without_audio_is_processed(live_worker, user_client, clip_dir):
    clip = clips.make_clip(clip_dir / "silent.mp4", seconds=1, size="160x120", audio=False)

    video = _finished(_upload(user_client, clip))

    assert video.status == VideoStatus.READY, video.error_reason
    assert video.has_audio is False
    assert video.audio_codec == ""
    _assert_renditions(video, width=160, height=120, audio=False)


def test_half_second_clip_gets_a_thumbnail(live_worker, user_client, clip_dir):
    clip = clips.make_clip(clip_dir / "short.mp4", seconds=0.5, size="160x120")

    video = _finished(_upload(user_client, clip))

    assert video.status == VideoStatus.READY, video.error_reason
    assert video.duration == pytest.approx(0.5, abs=0.1)
    _assert_renditions(video, width=160, height=120, audio=True)


def test_portrait_phone_clip_comes_out_upright(live_worker, user_client, clip_dir):
    # given landscape pixels with a 90 degree display rotation, as phones record
    clip = clips.make_rotated_clip(clip_dir / "portrait.mp4", rotation=90, size="320x240")

    video = _finished(_upload(user_client, clip))

    assert video.status == VideoStatus.READY, video.error_reason
    assert video.rotation == 90
    assert (video.display_width, video.display_height) == (240, 320)
    _assert_renditions(video, width=240, height=320, audio=True)
    assert probe(_media(video.mp4_key)).rotation == 0  # rotated pixels, no flag to honour


def test_truncated_mp4_ends_in_error_saying_so(live_worker, user_client, clip_dir, mp4_clip):
    broken = clips.truncate(mp4_clip, clip_dir / "truncated.mp4", keep=0.5)

    video = _finished(_upload(user_client, broken))

    assert video.status == VideoStatus.ERROR
    assert "truncated" in video.error_reason
    job = ProcessingJob.objects.get(pk=video.current_job_id)
    assert job.status == JobStatus.FAILED
    assert job.attempts == 1  # bad media is not retried
    assert job.error == video.error_reason
    assert not video.mp4_key


def test_reprocess_makes_the_renditions_again(live_worker, user_client, mp4_clip):
    # given a processed video
    video = _finished(_upload(user_client, mp4_clip))
    first_job, first_processed_at = video.current_job_id, video.processed_at
    first_hls, first_storyboard = video.hls_key, video.storyboard_key

    # when it is reprocessed
    response = user_client.post(f"/api/v1/videos/{video.pk}/reprocess/")
    assert response.status_code == 202
    job = ProcessingJob.objects.get(pk=response.json()["job_id"])
    wait_for(lambda: (job.refresh_from_db(), job.is_final)[1], timeout=90, message="reprocess job")

    # then a second job made them again and the video is ready
    video.refresh_from_db()
    assert job.status == JobStatus.COMPLETED
    assert job.pk != first_job and video.current_job_id == job.pk
    assert video.status == VideoStatus.READY
    assert video.processed_at > first_processed_at
    _assert_renditions(video, width=160, height=120, audio=True)
    # with a new ladder and storyboard in new folders, the old ones gone
    assert video.hls_key != first_hls and _media(video.hls_key).is_file()
    assert video.storyboard_key != first_storyboard and _media(video.storyboard_key).is_file()
    assert not _media(first_hls).parent.exists()
    assert not _media(first_storyboard).parent.exists()


def test_delete_of_a_processed_video_removes_all_its_files(live_worker, user_client, mp4_clip):
    video = _finished(_upload(user_client, mp4_clip))
    keys = [video.original_key, video.mp4_key, video.proxy_key, video.thumbnail_key]
    keys += [video.hls_key, video.storyboard_key]
    assert all(_media(key).is_file() for key in keys)

    response = user_client.delete(f"/api/v1/videos/{video.pk}")

    assert response.status_code == 204
    assert not any(_media(key).exists() for key in keys)
    assert not _media(f"processed/{video.pk}").exists()


def test_cancelled_processing_leaves_the_video_in_error(live_worker, user_client, clip_dir):
    # given a clip long enough to still be converting when the cancel arrives
    clip = clips.make_clip(clip_dir / "long.mp4", seconds=60, size="640x360", fps=30)
    video = _upload(user_client, clip)
    job = ProcessingJob.objects.get(pk=video.current_job_id)
    wait_for(
        lambda: (job.refresh_from_db(), job.progress_message.startswith("Converting"))[1],
        timeout=60,
        message="transcode under way",
    )

    # when the job is cancelled
    job_cancel(job=job)

    # then the job stops and the video says why it has no renditions
    wait_for(lambda: (job.refresh_from_db(), job.is_final)[1], timeout=30, message="job final")
    video.refresh_from_db()
    assert job.status == JobStatus.CANCELLED
    assert video.status == VideoStatus.ERROR
    assert "cancelled" in video.error_reason
    assert not video.mp4_key
    assert not _media(f"processed/{video.pk}").exists()


def test_web_ready_upload_is_ready_without_a_re_encode(live_worker, user_client, clip_dir):
    clip = clips.make_web_ready_clip(clip_dir / "exported.mp4", seconds=1.5)

    video = _finished(_upload(user_client, clip))

    assert video.status == VideoStatus.READY, video.error_reason
    job = ProcessingJob.objects.get(pk=video.current_job_id)
    assert job.result["remuxed"] is True
    assert clips.stream_md5(_media(video.mp4_key), "0:v:0") == clips.stream_md5(clip, "0:v:0")
    _assert_renditions(video, width=320, height=240, audio=True)
