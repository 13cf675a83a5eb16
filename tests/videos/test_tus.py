"""The tus 1.0 server: the protocol, through the test client."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework.test import APIClient

from jobs.models import ProcessingJob
from tests.videos.tus_requests import (
    OFFSET_TYPE,
    TUS,
    URL,
    create_upload,
    encode_metadata,
    patch_chunk,
    start_upload,
    upload_of,
)
from videos.models import Video, VideoStatus
from videos.uploads import partials
from videos.uploads.models import TusUpload
from videos.uploads.services import tus_uploads_expire


@pytest.fixture(autouse=True)
def tus_dir(settings, tmp_path) -> Path:
    settings.TUS_UPLOAD_DIR = tmp_path / "tus"
    return settings.TUS_UPLOAD_DIR


# --- protocol -------------------------------------------------------------------------


def test_options_advertises_version_extensions_and_size_limit(api_client, settings):
    response = api_client.options(URL)

    assert response.status_code == 204
    assert response["Tus-Resumable"] == "1.0.0"
    assert response["Tus-Version"] == "1.0.0"
    assert set(response["Tus-Extension"].split(",")) == {"creation", "termination", "expiration"}
    assert response["Tus-Max-Size"] == str(settings.VIDEO_MAX_UPLOAD_BYTES)


@pytest.mark.django_db
def test_creation_answers_location_and_expiry_and_keeps_an_empty_partial(user_client, user):
    response = create_upload(user_client, length=1000, filename="Beach.MP4", title="Beach day")

    assert response.status_code == 201
    assert response["Tus-Resumable"] == "1.0.0"
    assert response["Location"].startswith("http://testserver/api/v1/videos/uploads/")
    assert response["Upload-Expires"].endswith(" GMT")
    upload = upload_of(response["Location"])
    assert (upload.owner, upload.length, upload.offset) == (user, 1000, 0)
    assert (upload.filename, upload.title, upload.status) == ("Beach.MP4", "Beach day", "uploading")
    assert partials.size(upload.pk) == 0


@pytest.mark.django_db
def test_title_defaults_to_the_file_name(user_client):
    url = start_upload(
        user_client, length=10, **{"Upload-Metadata": encode_metadata(filename="Sea.mov")}
    )

    assert upload_of(url).title == "Sea"


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["post", "head", "patch", "delete"])
def test_requests_without_tus_resumable_are_refused_with_412(user_client, method):
    url = start_upload(user_client, length=10)
    target = URL if method == "post" else url

    response = getattr(user_client, method)(target, headers={"Upload-Length": "10"})

    assert response.status_code == 412
    assert response["Tus-Version"] == "1.0.0"
    assert response["Tus-Resumable"] == "1.0.0"


@pytest.mark.django_db
def test_unsupported_tus_version_is_refused_with_412(user_client):
    response = user_client.post(URL, headers={"Tus-Resumable": "0.2.2", "Upload-Length": "10"})

    assert response.status_code == 412
    assert "Tus-Resumable: 1.0.0" in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({"Upload-Length": ""}, 400, "Upload-Length"),
        ({"Upload-Length": "-5"}, 400, "Upload-Length must be a whole number"),
        ({"Upload-Metadata": encode_metadata(title="No name")}, 400, "filename"),
        ({"Upload-Metadata": "filename !!notbase64"}, 400, "base64"),
        ({"Upload-Metadata": encode_metadata(filename="notes.txt")}, 400, "can't be uploaded"),
        ({"Upload-Length": "0"}, 400, "empty"),
        ({"Upload-Length": str(10 * 1024 * 1024 + 1)}, 413, "at most 10.0 MB"),
    ],
)
def test_creation_checks_size_and_name_up_front(user_client, settings, headers, status, message):
    settings.VIDEO_MAX_UPLOAD_BYTES = 10 * 1024 * 1024

    response = user_client.post(
        URL,
        headers={
            **TUS,
            "Upload-Length": "100",
            "Upload-Metadata": encode_metadata(filename="a.mp4"),
            **headers,
        },
    )

    assert response.status_code == status
    assert message in response.json()["detail"]
    assert not TusUpload.objects.exists()


@pytest.mark.django_db
def test_anonymous_clients_cannot_upload(api_client):
    response = create_upload(api_client, length=10)

    assert response.status_code == 401
    assert response["Tus-Resumable"] == "1.0.0"


@pytest.mark.django_db
def test_patch_appends_and_head_resumes_from_the_new_offset(user_client):
    url = start_upload(user_client, length=10)

    response = patch_chunk(user_client, url, b"hello", offset=0)

    assert response.status_code == 204
    assert response["Upload-Offset"] == "5"
    assert response["Upload-Expires"].endswith(" GMT")
    head = user_client.head(url, headers=TUS)
    assert head.status_code == 200
    assert (head["Upload-Offset"], head["Upload-Length"]) == ("5", "10")
    assert head["Cache-Control"] == "no-store"
    assert "filename" in head["Upload-Metadata"]
    assert partials.partial_path(upload_of(url).pk).read_bytes() == b"hello"


@pytest.mark.django_db
def test_patch_at_the_wrong_offset_conflicts_and_writes_nothing(user_client):
    url = start_upload(user_client, length=10)
    patch_chunk(user_client, url, b"hello", offset=0)

    response = patch_chunk(user_client, url, b"world", offset=3)

    assert response.status_code == 409
    assert "server has 5 bytes" in response.json()["detail"]
    assert partials.partial_path(upload_of(url).pk).read_bytes() == b"hello"


@pytest.mark.django_db
def test_patch_with_another_content_type_is_refused_with_415(user_client):
    url = start_upload(user_client, length=10)

    response = patch_chunk(user_client, url, b"hello", offset=0, content_type="application/json")

    assert response.status_code == 415
    assert OFFSET_TYPE in response.json()["detail"]
    assert partials.size(upload_of(url).pk) == 0


@pytest.mark.django_db
def test_chunk_past_the_upload_length_is_refused_and_writes_nothing(user_client):
    url = start_upload(user_client, length=10)

    response = patch_chunk(user_client, url, b"0123456789AB", offset=0)

    assert response.status_code == 413
    assert "past the upload's length of 10 bytes" in response.json()["detail"]
    assert partials.size(upload_of(url).pk) == 0


@pytest.mark.django_db
def test_a_patch_while_another_is_writing_is_told_to_retry(user_client):
    # given another request holding the upload's lock
    url = start_upload(user_client, length=10)
    upload = upload_of(url)
    with partials.locked(upload.pk):
        # when a second PATCH arrives
        response = patch_chunk(user_client, url, b"hello", offset=0)

    # then it is refused without touching the data, and a retry succeeds
    assert response.status_code == 423
    assert partials.size(upload.pk) == 0
    assert patch_chunk(user_client, url, b"hello", offset=0).status_code == 204


@pytest.mark.django_db
def test_patch_can_be_tunnelled_through_post(user_client):
    url = start_upload(user_client, length=10)

    response = user_client.post(
        url,
        data=b"hello",
        content_type=OFFSET_TYPE,
        headers={**TUS, "Upload-Offset": "0", "X-HTTP-Method-Override": "PATCH"},
    )

    assert response.status_code == 204
    assert response["Upload-Offset"] == "5"


@pytest.mark.django_db
def test_delete_terminates_the_upload_and_removes_its_data(user_client):
    url = start_upload(user_client, length=10)
    patch_chunk(user_client, url, b"hello", offset=0)
    upload = upload_of(url)

    response = user_client.delete(url, headers=TUS)

    assert response.status_code == 204
    assert not TusUpload.objects.filter(pk=upload.pk).exists()
    assert not partials.partial_path(upload.pk).exists()
    assert user_client.head(url, headers=TUS).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["head", "get", "patch", "delete"])
def test_others_uploads_are_not_found(user_client, other_user, method):
    url = start_upload(user_client, length=10)
    stranger = APIClient()
    stranger.force_authenticate(other_user)

    if method == "patch":
        response = patch_chunk(stranger, url, b"hi", offset=0)
    else:
        response = getattr(stranger, method)(url, headers=TUS)

    assert response.status_code == 404
    assert partials.size(upload_of(url).pk) == 0


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


def _listed(client, video_id) -> dict | None:
    """Return the video as /api/v1/videos/ lists it, or None if it is not there."""
    results = client.get("/api/v1/videos/").json()["results"]
    return next((v for v in results if v["id"] == str(video_id)), None)


@pytest.mark.django_db
def test_an_upload_is_an_uploading_video_until_its_last_byte(user_client, mp4_clip):
    data = mp4_clip.read_bytes()
    half = len(data) // 2

    # given a created upload: its video is listed at once, uploading, nothing received
    url = start_upload(user_client, length=len(data), filename="trip.mp4", title="Trip")
    video_id = upload_of(url).video_id
    listed = _listed(user_client, video_id)
    assert (listed["status"], listed["title"], listed["bytes_received"]) == ("uploading", "Trip", 0)
    assert listed["original_size"] == len(data)

    # when half of it arrives, the video counts the bytes
    patch_chunk(user_client, url, data[:half], offset=0)
    assert _listed(user_client, video_id)["bytes_received"] == half

    # when the rest arrives, the same video moves to processing
    response = patch_chunk(user_client, url, data[half:], offset=half)
    assert response["Upload-Video-Id"] == str(video_id)
    listed = _listed(user_client, video_id)
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
    assert [_listed(user_client, video_id) for video_id in videos] == [None, None]
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
