"""S3 presigned multipart uploads against a real S3 HTTP endpoint (moto's server mode).

The client PUTs the parts to the presigned URLs itself, with `requests`, as a browser would.
"""

import struct
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.videos import test_s3_worker
from tests.waiting import wait_for
from videos import storage as video_storage
from videos.models import Video, VideoStatus
from videos.uploads import s3
from videos.uploads.models import MultipartUpload, UploadStatus
from videos.uploads.services import multipart_part_size, multipart_uploads_abort_stale

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# The moto server and its S3-configured worker (one per module), and the per-test switch
# of this process's default storage to that bucket.
moto_s3 = test_s3_worker.moto_s3
s3_worker = test_s3_worker.s3_worker
s3_bucket = test_s3_worker.s3_bucket

URL = "/api/v1/videos/multipart/"
MiB = 1024 * 1024


@pytest.fixture(scope="module")
def big_clip(clip_dir, mp4_clip) -> Path:
    """A valid MP4 just over 6 MiB (a real clip plus a `free` box) = two 5 MiB parts."""
    data = mp4_clip.read_bytes()
    pad = 6 * MiB + 4096 - len(data)
    path = clip_dir / "big.mp4"
    path.write_bytes(data + struct.pack(">I4s", pad, b"free") + bytes(pad - 8))
    return path


@pytest.fixture
def bucket(s3_bucket):
    """The test bucket, left with no open multipart uploads (the module shares it)."""
    yield s3_bucket
    for pending in _pending_uploads(s3_bucket):
        s3_bucket.client.abort_multipart_upload(
            Bucket=s3_bucket.name, Key=pending["Key"], UploadId=pending["UploadId"]
        )


@pytest.fixture
def small_parts(settings) -> int:
    settings.S3_MULTIPART_PART_SIZE = 5 * MiB
    return 5 * MiB


def _start(client, *, size: int, filename: str = "clip.mp4", title: str = "My clip"):
    return client.post(URL, {"filename": filename, "size": size, "title": title}, format="json")


def _put(url: str, data: bytes) -> str:
    response = requests.put(url, data=data, timeout=30)
    assert response.status_code == 200, response.text
    return response.headers["ETag"]


def _put_all(body: dict, data: bytes) -> list[dict]:
    size = body["part_size"]
    return [
        {"part_number": p["part_number"], "etag": _put(p["url"], _part(data, p, size))}
        for p in body["parts"]
    ]


def _part(data: bytes, part: dict, size: int) -> bytes:
    start = (part["part_number"] - 1) * size
    return data[start : start + size]


def _complete(client, upload_id: str, parts: list[dict]):
    return client.post(f"{URL}{upload_id}/complete/", {"parts": parts}, format="json")


def _pending_uploads(bucket) -> list[dict]:
    return bucket.client.list_multipart_uploads(Bucket=bucket.name).get("Uploads", [])


def test_part_size_stays_within_s3_rules(settings):
    settings.S3_MULTIPART_PART_SIZE = 16 * MiB
    assert multipart_part_size(300 * MiB) == 16 * MiB
    settings.S3_MULTIPART_PART_SIZE = 1 * MiB
    assert multipart_part_size(300 * MiB) == 5 * MiB  # S3's minimum
    settings.S3_MULTIPART_PART_SIZE = 10 * 1024 * MiB
    assert multipart_part_size(300 * MiB) == 5 * 1024 * MiB  # S3's maximum
    settings.S3_MULTIPART_PART_SIZE = 5 * MiB
    size = 200 * 1024 * MiB  # 200 GiB would need 40,960 parts of 5 MiB
    part = multipart_part_size(size)
    assert -(-size // part) <= 10_000
    assert part % MiB == 0


def test_multipart_needs_s3_storage(user_client):
    response = _start(user_client, size=1000)

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "Multipart uploads need S3 storage; use the tus endpoint (/api/v1/videos/uploads/)."
    )


def test_two_part_upload_resumed_after_a_crash_becomes_a_ready_video(
    bucket, user_client, user, big_clip, small_parts
):
    # given an upload of a 6 MiB file: two parts of 5 MiB and the rest
    data = big_clip.read_bytes()
    response = _start(user_client, size=len(data), filename="Big Trip.MP4", title="Big trip")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["part_size"] == 5 * MiB
    assert [p["part_number"] for p in body["parts"]] == [1, 2]
    upload_id, video_id = body["upload_id"], body["video_id"]

    # when the client sends part 1, crashes, and asks where it was
    first = _put(body["parts"][0]["url"], data[: 5 * MiB])
    resumed = user_client.get(f"{URL}{upload_id}/").json()

    # then S3 has part 1 and only part 2 needs sending, with a fresh URL
    assert [(p["part_number"], p["etag"]) for p in resumed["uploaded_parts"]] == [(1, first)]
    assert [p["part_number"] for p in resumed["parts"]] == [2]
    second = _put(resumed["parts"][0]["url"], data[5 * MiB :])

    # when it completes the upload
    response = _complete(
        user_client,
        upload_id,
        [{"part_number": 1, "etag": first}, {"part_number": 2, "etag": second}],
    )

    # then the promised video exists, its original is the whole file, the staging copy is gone
    assert response.status_code == 202, response.json()
    done = response.json()
    assert done["video_id"] == video_id
    assert done["status"] == "processing"
    video = Video.objects.get(pk=video_id)
    assert (video.owner, video.title, video.original_filename) == (user, "Big trip", "Big Trip.MP4")
    assert str(video.current_job_id) == done["processing_job_id"]
    assert bucket.read(video.original_key) == data
    assert bucket.object_keys("uploads/") == set()
    assert _pending_uploads(bucket) == []

    # and completing again (a retry after a lost response) answers the same
    assert _complete(user_client, upload_id, [{"part_number": 1, "etag": first}]).json() == {
        **done,
        "status": "processing",
    }

    # and the S3 worker makes it ready
    def finished() -> bool:
        video.refresh_from_db()
        return video.status in (VideoStatus.READY, VideoStatus.ERROR)

    wait_for(finished, timeout=90, message="the multipart video processed")
    assert video.status == VideoStatus.READY, video.error_reason
    assert Video.objects.count() == 1


def test_wrong_etag_answers_400_with_s3s_reason_and_can_be_corrected(bucket, user_client, mp4_clip):
    data = mp4_clip.read_bytes()
    body = _start(user_client, size=len(data)).json()
    [part] = _put_all(body, data)

    response = _complete(user_client, body["upload_id"], [{"part_number": 1, "etag": '"0000"'}])

    assert response.status_code == 400
    assert "S3 refused to complete the upload" in response.json()["detail"]
    assert "InvalidPart" in response.json()["detail"]
    assert MultipartUpload.objects.get().status == UploadStatus.UPLOADING
    assert _complete(user_client, body["upload_id"], [part]).status_code == 202


def test_part_numbers_outside_the_upload_are_refused(bucket, user_client, mp4_clip):
    data = mp4_clip.read_bytes()
    body = _start(user_client, size=len(data)).json()

    response = _complete(user_client, body["upload_id"], [{"part_number": 3, "etag": '"x"'}])

    assert response.status_code == 400
    assert response.json()["detail"] == "Part 3 doesn't exist: this upload has parts 1 to 1."


def test_content_that_is_not_a_video_fails_the_upload_and_is_deleted(
    bucket, user_client, text_as_mp4
):
    data = text_as_mp4.read_bytes()
    body = _start(user_client, size=len(data), filename="notes.mp4").json()
    parts = _put_all(body, data)

    response = _complete(user_client, body["upload_id"], parts)

    assert response.status_code == 400
    assert "not a video" in response.json()["detail"]
    upload = MultipartUpload.objects.get()
    assert upload.status == UploadStatus.FAILED
    assert "not a video" in upload.error
    video = Video.objects.get(pk=upload.video_id)  # says why, and holds no file
    assert (video.status, video.original_key) == (VideoStatus.ERROR, "")
    assert "not a video" in video.error_reason
    assert bucket.object_keys("uploads/") == set()
    assert bucket.object_keys(f"originals/{upload.video_id}") == set()
    assert _complete(user_client, body["upload_id"], parts).status_code == 409


def test_parts_that_dont_add_up_to_the_declared_size_fail_the_upload(bucket, user_client, mp4_clip):
    data = mp4_clip.read_bytes()
    body = _start(user_client, size=len(data) + 10).json()
    parts = [{"part_number": 1, "etag": _put(body["parts"][0]["url"], data)}]

    response = _complete(user_client, body["upload_id"], parts)

    assert response.status_code == 400
    assert response.json()["detail"] == (
        f"The parts add up to {len(data)} bytes, but the upload was declared as "
        f"{len(data) + 10} bytes."
    )
    assert bucket.object_keys("uploads/") == set()


@pytest.mark.parametrize(
    ("filename", "size", "status", "message"),
    [
        ("notes.txt", 100, 400, "can't be uploaded"),
        ("clip.mp4", 0, 400, "empty"),
        ("clip.mp4", 11 * MiB, 413, "at most 10.0 MB"),
    ],
)
def test_creation_checks_name_and_size(
    bucket, user_client, settings, filename, size, status, message
):
    settings.VIDEO_MAX_UPLOAD_BYTES = 10 * MiB

    response = _start(user_client, size=size, filename=filename)

    assert response.status_code == status
    assert message in response.json()["detail"]
    assert _pending_uploads(bucket) == []


def test_abort_frees_the_parts(bucket, user_client, mp4_clip):
    data = mp4_clip.read_bytes()
    body = _start(user_client, size=len(data)).json()
    parts = _put_all(body, data)

    response = user_client.post(f"{URL}{body['upload_id']}/abort/")

    assert response.status_code == 204
    assert _pending_uploads(bucket) == []
    assert bucket.object_keys("uploads/") == set()
    assert MultipartUpload.objects.get().status == UploadStatus.ABORTED
    assert user_client.post(f"{URL}{body['upload_id']}/abort/").status_code == 204
    assert _complete(user_client, body["upload_id"], parts).status_code == 409


def test_operator_aborts_an_upload_from_the_admin(bucket, user_client, staff_user, mp4_clip):
    # given an upload with its parts in S3
    data = mp4_clip.read_bytes()
    body = _start(user_client, size=len(data), filename="stuck.mp4").json()
    _put_all(body, data)
    admin = Client()
    admin.force_login(staff_user)
    assert "stuck.mp4" in admin.get("/admin/videos/multipartupload/").text

    # when an operator runs the abort action on it
    response = admin.post(
        "/admin/videos/multipartupload/",
        {"action": "abort", "_selected_action": [body["upload_id"]]},
        follow=True,
    )

    # then S3 holds nothing of it and the session says aborted
    assert "Aborted 1 upload(s)." in response.text
    assert _pending_uploads(bucket) == []
    assert bucket.object_keys("uploads/") == set()
    assert MultipartUpload.objects.get().status == UploadStatus.ABORTED


def test_others_uploads_are_not_found(bucket, user_client, other_user, mp4_clip):
    body = _start(user_client, size=mp4_clip.stat().st_size).json()
    stranger = APIClient()
    stranger.force_authenticate(other_user)

    assert stranger.get(f"{URL}{body['upload_id']}/").status_code == 404
    assert stranger.post(f"{URL}{body['upload_id']}/abort/").status_code == 404
    assert (
        _complete(stranger, body["upload_id"], [{"part_number": 1, "etag": "x"}]).status_code == 404
    )
    assert len(_pending_uploads(bucket)) == 1


def test_cleanup_aborts_stale_uploads_and_ones_nobody_owns(bucket, user_client, mp4_clip):
    # given a stale upload with a part, a live one, and an old S3 upload with no row (moto
    # dates every multipart upload 2010-11-10, so any row-less one counts as old)
    data = mp4_clip.read_bytes()
    stale = _start(user_client, size=len(data)).json()
    _put_all(stale, data)
    MultipartUpload.objects.filter(pk=stale["upload_id"]).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    live = _start(user_client, size=len(data)).json()
    s3.create_upload("uploads/multipart/lost/clip.mp4", content_type="video/mp4")

    # when the cleanup runs
    result = multipart_uploads_abort_stale()

    # then the stale upload and the orphan are aborted; the live upload is untouched
    assert result["aborted"] == [stale["upload_id"]]
    assert result["orphaned_uploads"] == ["uploads/multipart/lost/clip.mp4"]
    assert not MultipartUpload.objects.filter(pk=stale["upload_id"]).exists()
    live_upload = MultipartUpload.objects.get(pk=live["upload_id"])
    assert [u["UploadId"] for u in _pending_uploads(bucket)] == [live_upload.s3_upload_id]


def _listed(client, video_id: str) -> dict | None:
    """Return the video as /api/v1/videos/ lists it, or None if it is not there."""
    results = client.get("/api/v1/videos/").json()["results"]
    return next((v for v in results if v["id"] == video_id), None)


def test_a_multipart_upload_is_an_uploading_video_from_its_creation(
    bucket, user_client, big_clip, small_parts, monkeypatch
):
    # given a started upload: the video is listed at once, uploading, nothing received
    data = big_clip.read_bytes()
    body = _start(user_client, size=len(data), title="Coming soon").json()
    listed = _listed(user_client, body["video_id"])
    assert listed["status"] == "uploading"
    assert (listed["title"], listed["original_size"], listed["bytes_received"]) == (
        "Coming soon",
        len(data),
        0,
    )
    assert listed["url_mp4"] is None

    # when the first part reaches S3 and the client asks where it is
    etag = _put(body["parts"][0]["url"], data[: 5 * MiB])
    user_client.get(f"{URL}{body['upload_id']}/")

    # then the video shows the bytes received
    assert _listed(user_client, body["video_id"])["bytes_received"] == 5 * MiB

    # when the rest arrives and the upload completes (the copy into place is an S3
    # request made outside any database transaction)
    copies: list[bool] = []
    real_copy = video_storage.copy

    def copy(*args, **kwargs):
        copies.append(connection.in_atomic_block)
        return real_copy(*args, **kwargs)

    monkeypatch.setattr(video_storage, "copy", copy)
    rest = _put(body["parts"][1]["url"], data[5 * MiB :])
    parts = [{"part_number": 1, "etag": etag}, {"part_number": 2, "etag": rest}]
    assert _complete(user_client, body["upload_id"], parts).status_code == 202

    # then it is processing with every byte received
    listed = _listed(user_client, body["video_id"])
    assert (listed["status"], listed["bytes_received"]) == ("processing", len(data))
    assert copies == [False]


def test_an_abandoned_multipart_upload_takes_its_video_with_it(bucket, user_client, mp4_clip):
    data = mp4_clip.read_bytes()
    stale = _start(user_client, size=len(data)).json()
    aborted = _start(user_client, size=len(data)).json()
    MultipartUpload.objects.filter(pk=stale["upload_id"]).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    user_client.post(f"{URL}{aborted['upload_id']}/abort/")
    multipart_uploads_abort_stale()

    assert _listed(user_client, stale["video_id"]) is None
    assert _listed(user_client, aborted["video_id"]) is None
    assert not Video.objects.exists()


def test_each_part_url_is_signed_for_its_exact_size(bucket, user_client, big_clip, small_parts):
    data = big_clip.read_bytes()

    body = _start(user_client, size=len(data)).json()

    sizes = [part["size"] for part in body["parts"]]
    assert sizes == [5 * MiB, len(data) - 5 * MiB]
    for part in body["parts"]:
        query = parse_qs(urlsplit(part["url"]).query)
        # S3 checks the signed Content-Length: a PUT of any other size is refused.
        assert "content-length" in query.get("X-Amz-SignedHeaders", [""])[0].split(";"), part["url"]
    etags = [_put(p["url"], _part(data, p, body["part_size"])) for p in body["parts"]]
    assert all(etags)
