"""How a tus upload ends, through the test client: its last byte makes the video (or
fails it), it expires or is terminated; and the video it makes, listed from its creation."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from jobs.models import ProcessingJob
from tests.videos.listing import listed_video
from tests.videos.tus_requests import TUS, patch_chunk, start_upload, upload_of
from videos.models import Video, VideoStatus
from videos.uploads import partials
from videos.uploads.models import TusUpload
from videos.uploads.services import tus_uploads_expire

pytestmark = pytest.mark.usefixtures("tus_dir")


# --- completion -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("isolated_media")
def test_last_chunk_makes_the_video_and_reports_its_ids(user_client, user, mp4_clip, settings):
    data = mp4_clip.read_bytes()
    half = len(data) // 2
    url = start_upload(user_client, length=len(data), filename="trip.mp4", title="Trip")
    upload = upload_of(url)
    assert patch_chunk(user_client, url, data[:half], offset=0).status_code == 204

    response = patch_chunk(user_client, url, data[half:], offset=half)

    assert response.status_code == 204
    assert response["Upload-Offset"] == str(len(data))
    video = Video.objects.get(pk=response["Upload-Video-Id"])
    assert (video.owner, video.title, video.original_filename) == (user, "Trip", "trip.mp4")
    assert video.status == VideoStatus.PROCESSING
    assert Path(settings.MEDIA_ROOT, video.original_key).read_bytes() == data
    job = ProcessingJob.objects.get(pk=response["Upload-Job-Id"])
    assert job.target == video
    body = user_client.get(url).json()
    assert body == {
        **body,
        "id": str(upload.pk),
        "offset": len(data),
        "length": len(data),
        "status": "completed",
        "video_id": str(video.pk),
        "job_id": str(job.pk),
        "error": "",
    }
    head = user_client.head(url, headers=TUS)
    assert head["Upload-Video-Id"] == str(video.pk)
    assert head["Upload-Job-Id"] == str(job.pk)
    # a client retrying the final request after a lost response is told it is done
    again = patch_chunk(user_client, url, b"", offset=len(data))
    assert again.status_code == 204
    assert Video.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("isolated_media")
def test_content_that_is_not_a_video_fails_the_upload_and_removes_it(user_client, text_as_mp4):
    data = text_as_mp4.read_bytes()
    url = start_upload(user_client, length=len(data), filename="notes.mp4")
    upload = upload_of(url)

    response = patch_chunk(user_client, url, data, offset=0)

    assert response.status_code == 400
    assert "not a video" in response.json()["detail"]
    video = Video.objects.get()  # the upload's video says why, and holds no file
    assert video.status == VideoStatus.ERROR
    assert "not a video" in video.error_reason
    assert video.original_key == ""
    assert not partials.partial_path(upload.pk).exists()
    body = user_client.get(url).json()
    assert body["status"] == "failed"
    assert "not a video" in body["error"]
    assert user_client.head(url, headers=TUS).status_code == 410


# --- the upload's video -----------------------------------------------------------------


# --- expiry ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_expired_uploads_answer_410_until_the_cleanup_removes_them(user_client, tus_dir):
    # given an unfinished upload past its expiry, and a partial file nobody owns
    url = start_upload(user_client, length=10)
    patch_chunk(user_client, url, b"hello", offset=0)
    upload = upload_of(url)
    TusUpload.objects.filter(pk=upload.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    orphan = partials.partial_path("not-an-upload")
    orphan.write_bytes(b"left over")
    old = (timezone.now() - timedelta(days=2)).timestamp()
    os.utime(orphan, (old, old))

    # then it can't be resumed or read
    assert user_client.head(url, headers=TUS).status_code == 410
    assert patch_chunk(user_client, url, b"world", offset=5).status_code == 410
    assert user_client.get(url).json()["code"] == "upload_expired"

    # when the cleanup runs
    result = tus_uploads_expire()

    # then the upload, its data and the orphan are gone
    assert result["removed"] == [str(upload.pk)]
    assert result["orphaned_files"] == ["not-an-upload.part"]
    assert not partials.partial_path(upload.pk).exists()
    assert not orphan.exists()
    assert user_client.head(url, headers=TUS).status_code == 404


@pytest.mark.django_db
def test_an_expired_upload_can_still_be_terminated(user_client):
    url = start_upload(user_client, length=10)
    upload = upload_of(url)
    TusUpload.objects.filter(pk=upload.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    assert user_client.delete(url, headers=TUS).status_code == 204
    assert not partials.partial_path(upload.pk).exists()


@pytest.mark.django_db
def test_cleanup_keeps_live_uploads(user_client):
    url = start_upload(user_client, length=10)

    assert tus_uploads_expire()["removed"] == []
    assert user_client.head(url, headers=TUS).status_code == 200


# --- the upload's video -----------------------------------------------------------------


@pytest.mark.django_db
def test_an_upload_is_an_uploading_video_until_its_last_byte(user_client, mp4_clip):
    data = mp4_clip.read_bytes()
    half = len(data) // 2

    # given a created upload: its video is listed at once, uploading, nothing received
    url = start_upload(user_client, length=len(data), filename="trip.mp4", title="Trip")
    video_id = upload_of(url).video_id
    listed = listed_video(user_client, video_id)
    assert (listed["status"], listed["title"], listed["bytes_received"]) == ("uploading", "Trip", 0)
    assert listed["original_size"] == len(data)

    # when half of it arrives, the video counts the bytes
    patch_chunk(user_client, url, data[:half], offset=0)
    assert listed_video(user_client, video_id)["bytes_received"] == half

    # when the rest arrives, the same video moves to processing
    response = patch_chunk(user_client, url, data[half:], offset=half)
    assert response["Upload-Video-Id"] == str(video_id)
    listed = listed_video(user_client, video_id)
    assert (listed["status"], listed["bytes_received"]) == ("processing", len(data))
    assert listed["job"]["id"] == response["Upload-Job-Id"]
    assert Video.objects.count() == 1


@pytest.mark.django_db
def test_an_abandoned_upload_disappears_with_its_session(user_client):
    # given an upload that expires and one that is terminated, each half sent
    expiring, terminated = (
        start_upload(user_client, length=10),
        start_upload(user_client, length=10),
    )
    for url in (expiring, terminated):
        patch_chunk(user_client, url, b"hello", offset=0)
    videos = [upload_of(url).video_id for url in (expiring, terminated)]
    TusUpload.objects.filter(pk=upload_of(expiring).pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    # when the expiry sweep runs and the other is terminated
    tus_uploads_expire()
    user_client.delete(terminated, headers=TUS)

    # then neither video is listed any more
    assert [listed_video(user_client, video_id) for video_id in videos] == [None, None]
    assert not Video.objects.exists()


@pytest.mark.django_db
def test_deleting_an_uploading_video_fails_its_upload_at_the_last_byte(
    user_client, mp4_clip, isolated_media
):
    data = mp4_clip.read_bytes()
    url = start_upload(user_client, length=len(data))
    patch_chunk(user_client, url, data[:100], offset=0)
    assert user_client.delete(f"/api/v1/videos/{upload_of(url).video_id}/").status_code == 204

    response = patch_chunk(user_client, url, data[100:], offset=100)

    assert response.status_code == 400
    assert "deleted" in response.json()["detail"]
    assert not Video.objects.exists()
    assert not list(Path(settings.MEDIA_ROOT).glob("originals/*"))  # nothing left behind
