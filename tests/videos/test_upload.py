"""Uploading through the API: accepted uploads start a job, bad ones leave nothing behind."""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from jobs.models import JobStatus, ProcessingJob
from tests.videos import clips
from videos.models import Video, VideoStatus

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]

UPLOAD_URL = "/api/v1/videos/upload/"


def _upload(client, path: Path, *, name: str | None = None, title: str = "My clip", url=UPLOAD_URL):
    with path.open("rb") as f:
        file = SimpleUploadedFile(name or path.name, f.read())
    return client.post(url, {"file": file, "title": title}, format="multipart")


def _temp_uploads() -> list[str]:
    return os.listdir(settings.FILE_UPLOAD_TEMP_DIR)


@pytest.fixture
def nothing_left(stored_files):
    """Assert after the test body that no row, stored file or temporary upload remains."""
    before = _temp_uploads()
    yield
    assert Video.objects.count() == 0
    assert not ProcessingJob.objects.filter(job_type="video_process").exists()
    assert stored_files() == set()
    assert _temp_uploads() == before


@pytest.mark.parametrize("url", [UPLOAD_URL, "/api/v1/videos/", "/api/v1/videos"])
def test_upload_is_accepted_with_a_processing_job(user_client, user, mp4_clip, url):
    response = _upload(user_client, mp4_clip, url=url)

    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["status"] == "processing"
    assert body["id"] == body["video_id"]
    video = Video.objects.get(pk=body["video_id"])
    assert video.owner == user
    assert video.status == VideoStatus.PROCESSING
    assert video.original_key == f"originals/{video.pk}.mp4"
    assert video.original_size == mp4_clip.stat().st_size
    assert video.original_filename == "clip.mp4"
    assert Path(settings.MEDIA_ROOT, video.original_key).read_bytes() == mp4_clip.read_bytes()
    job = ProcessingJob.objects.get(pk=body["job_id"])
    assert job.job_type == "video_process"
    assert job.queue == "video_processing"
    assert job.status == JobStatus.PENDING  # published when the request's transaction commits
    assert job.target == video
    assert response["Location"].endswith(f"/api/v1/videos/{video.pk}")


def test_extension_is_stored_lower_case_whatever_the_client_sent(user_client, mp4_clip):
    response = _upload(user_client, mp4_clip, name="HOLIDAY.MP4")

    assert response.status_code == 202
    video = Video.objects.get(pk=response.json()["id"])
    assert video.original_key == f"originals/{video.pk}.mp4"
    assert video.original_filename == "HOLIDAY.MP4"


def test_path_in_the_filename_never_reaches_storage(user_client, mp4_clip):
    response = _upload(user_client, mp4_clip, name="../../etc/passwd.mp4")

    assert response.status_code == 202
    video = Video.objects.get(pk=response.json()["id"])
    assert video.original_key == f"originals/{video.pk}.mp4"
    assert video.original_filename == "passwd.mp4"  # metadata only
    assert not Path(settings.MEDIA_ROOT).parent.joinpath("etc").exists()


def test_text_file_named_mp4_is_rejected(user_client, text_as_mp4, nothing_left):
    response = _upload(user_client, text_as_mp4)

    assert response.status_code == 400
    assert response.json()["code"] == "not_a_video"
    assert "not a video" in response.json()["detail"]


def test_zero_byte_file_is_rejected(user_client, clip_dir, nothing_left):
    empty = clips.make_empty_file(clip_dir / "empty.mp4")

    response = _upload(user_client, empty)

    assert response.status_code == 400
    assert "empty" in response.json()["detail"]


@pytest.mark.parametrize("name", ["clip.txt", "clip.exe", "clip", "clip.mp4.php"])
def test_disallowed_extension_is_rejected(user_client, mp4_clip, name, nothing_left):
    response = _upload(user_client, mp4_clip, name=name)

    assert response.status_code == 400
    assert response.json()["code"] == "unsupported_extension"
    assert ".mp4" in response.json()["detail"]  # tells the user what is allowed


def test_file_over_the_limit_is_refused_while_streaming(
    user_client, mp4_clip, settings, nothing_left
):
    # given a limit just under the clip's size (Content-Length alone can't tell)
    settings.VIDEO_MAX_UPLOAD_BYTES = mp4_clip.stat().st_size - 1

    response = _upload(user_client, mp4_clip)

    assert response.status_code == 413
    assert response.json()["code"] == "file_too_large"
    assert "at most" in response.json()["detail"]


def test_body_over_the_limit_is_refused_from_content_length(
    user_client, clip_dir, settings, nothing_left
):
    # given a body far over the limit
    settings.VIDEO_MAX_UPLOAD_BYTES = 1024
    big = clip_dir / "big.mp4"
    big.write_bytes(b"\0" * (200 * 1024))

    response = _upload(user_client, big)

    assert response.status_code == 413


def test_content_length_is_checked_before_the_body_is_read(user, settings):
    # given a request announcing a huge body whose stream must never be read
    from rest_framework.test import APIRequestFactory, force_authenticate

    from videos.views import VideoViewSet

    class Unreadable:
        def read(self, *args):
            raise AssertionError("the body was read")

        readline = read

    settings.VIDEO_MAX_UPLOAD_BYTES = 1024
    request = APIRequestFactory().post(UPLOAD_URL, data=b"", content_type="multipart/form-data")
    request.META["CONTENT_TYPE"] = "multipart/form-data; boundary=BoUnDaRy"
    request.META["CONTENT_LENGTH"] = str(10 * 1024 * 1024)
    request._stream = Unreadable()
    force_authenticate(request, user)

    response = VideoViewSet.as_view({"post": "upload"})(request)

    assert response.status_code == 413


def test_title_is_required(user_client, mp4_clip, nothing_left):
    with mp4_clip.open("rb") as f:
        response = user_client.post(UPLOAD_URL, {"file": f}, format="multipart")

    assert response.status_code == 400
    assert "title" in response.json()["errors"]


def test_missing_file_is_a_clear_400(user_client, nothing_left):
    response = user_client.post(UPLOAD_URL, {"title": "x"}, format="multipart")

    assert response.status_code == 400
    assert "file" in response.json()["errors"]


def test_json_body_is_unsupported(user_client, nothing_left):
    response = user_client.post(UPLOAD_URL, {"title": "x"}, format="json")

    assert response.status_code == 415


def test_anonymous_upload_is_refused(api_client, mp4_clip, nothing_left):
    response = _upload(api_client, mp4_clip)

    assert response.status_code in (401, 403)


def test_upload_beyond_the_media_policy_is_refused_with_the_reason(
    user_client, clip_dir, nothing_left
):
    huge = clips.make_huge_frame_clip(clip_dir / "huge.mp4")

    response = _upload(user_client, huge)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "media_policy"
    assert body["detail"].startswith("The picture is 8192x8192 (67.1 MP); the most we accept")


def test_playlist_disguised_as_a_video_is_refused_before_ffmpeg_sees_it(
    user_client, tmp_path, nothing_left
):
    playlist = clips.make_playlist_named_video(tmp_path / "movie.mp4")

    response = _upload(user_client, playlist)

    assert response.status_code == 400
    assert response.json()["code"] == "not_a_video"


def test_matroska_named_mp4_is_accepted_as_what_it_really_is(user_client, clip_dir):
    mkv = clips.make_clip(clip_dir / "real.mkv", seconds=0.5, size="64x48")

    response = _upload(user_client, mkv, name="disguised.mp4")

    assert response.status_code == 202
    assert Video.objects.get(pk=response.json()["video_id"]).container == "mkv"
