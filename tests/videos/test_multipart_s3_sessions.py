"""S3 multipart upload sessions (moto's S3 HTTP server): aborting one (by its owner, an
operator or the cleanup), who may see it, and the video it promises while it is open.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.videos.listing import listed_video
from tests.videos.multipart_requests import (
    URL,
    complete_upload,
    put_part,
    put_parts,
    start_upload,
)
from videos import storage as video_storage
from videos.models import Video
from videos.uploads import s3
from videos.uploads.models import MultipartUpload, UploadStatus
from videos.uploads.services import multipart_uploads_abort_stale

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

MiB = 1024 * 1024


def test_abort_frees_the_parts(s3_bucket, user_client, mp4_clip):
    data = mp4_clip.read_bytes()
    body = start_upload(user_client, size=len(data)).json()
    parts = put_parts(body, data)

    response = user_client.post(f"{URL}{body['upload_id']}/abort/")

    assert response.status_code == 204
    assert s3_bucket.open_uploads() == []
    assert s3_bucket.object_keys("uploads/") == set()
    assert MultipartUpload.objects.get().status == UploadStatus.ABORTED
    assert user_client.post(f"{URL}{body['upload_id']}/abort/").status_code == 204
    assert complete_upload(user_client, body["upload_id"], parts).status_code == 409


def test_operator_aborts_an_upload_from_the_admin(s3_bucket, user_client, staff_user, mp4_clip):
    # given an upload with its parts in S3
    data = mp4_clip.read_bytes()
    body = start_upload(user_client, size=len(data), filename="stuck.mp4").json()
    put_parts(body, data)
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
    assert s3_bucket.open_uploads() == []
    assert s3_bucket.object_keys("uploads/") == set()
    assert MultipartUpload.objects.get().status == UploadStatus.ABORTED


def test_others_uploads_are_not_found(s3_bucket, user_client, other_user, mp4_clip):
    body = start_upload(user_client, size=mp4_clip.stat().st_size).json()
    stranger = APIClient()
    stranger.force_authenticate(other_user)

    assert stranger.get(f"{URL}{body['upload_id']}/").status_code == 404
    assert stranger.post(f"{URL}{body['upload_id']}/abort/").status_code == 404
    assert (
        complete_upload(stranger, body["upload_id"], [{"part_number": 1, "etag": "x"}]).status_code
        == 404
    )
    assert len(s3_bucket.open_uploads()) == 1


def test_cleanup_aborts_stale_uploads_and_ones_nobody_owns(s3_bucket, user_client, mp4_clip):
    # given a stale upload with a part, a live one, and an old S3 upload with no row (moto
    # dates every multipart upload 2010-11-10, so any row-less one counts as old)
    data = mp4_clip.read_bytes()
    stale = start_upload(user_client, size=len(data)).json()
    put_parts(stale, data)
    MultipartUpload.objects.filter(pk=stale["upload_id"]).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    live = start_upload(user_client, size=len(data)).json()
    s3.create_upload("uploads/multipart/lost/clip.mp4", content_type="video/mp4")

    # when the cleanup runs
    result = multipart_uploads_abort_stale()

    # then the stale upload and the orphan are aborted; the live upload is untouched
    assert result["aborted"] == [stale["upload_id"]]
    assert result["orphaned_uploads"] == ["uploads/multipart/lost/clip.mp4"]
    assert not MultipartUpload.objects.filter(pk=stale["upload_id"]).exists()
    live_upload = MultipartUpload.objects.get(pk=live["upload_id"])
    assert [u["UploadId"] for u in s3_bucket.open_uploads()] == [live_upload.s3_upload_id]


def test_a_multipart_upload_is_an_uploading_video_from_its_creation(
    s3_bucket, user_client, mp4_6_mib, small_parts, monkeypatch
):
    # given a started upload: the video is listed at once, uploading, nothing received
    data = mp4_6_mib.read_bytes()
    body = start_upload(user_client, size=len(data), title="Coming soon").json()
    listed = listed_video(user_client, body["video_id"])
    assert listed["status"] == "uploading"
    assert (listed["title"], listed["original_size"], listed["bytes_received"]) == (
        "Coming soon",
        len(data),
        0,
    )
    assert listed["url_mp4"] is None

    # when the first part reaches S3 and the client asks where it is
    etag = put_part(body["parts"][0]["url"], data[: 5 * MiB])
    user_client.get(f"{URL}{body['upload_id']}/")

    # then the video shows the bytes received
    assert listed_video(user_client, body["video_id"])["bytes_received"] == 5 * MiB

    # when the rest arrives and the upload completes (the copy into place is an S3
    # request made outside any database transaction)
    copies: list[bool] = []
    real_copy = video_storage.copy

    def copy(*args, **kwargs):
        copies.append(connection.in_atomic_block)
        return real_copy(*args, **kwargs)

    monkeypatch.setattr(video_storage, "copy", copy)
    rest = put_part(body["parts"][1]["url"], data[5 * MiB :])
    parts = [{"part_number": 1, "etag": etag}, {"part_number": 2, "etag": rest}]
    assert complete_upload(user_client, body["upload_id"], parts).status_code == 202

    # then it is processing with every byte received
    listed = listed_video(user_client, body["video_id"])
    assert (listed["status"], listed["bytes_received"]) == ("processing", len(data))
    assert copies == [False]


def test_an_abandoned_multipart_upload_takes_its_video_with_it(s3_bucket, user_client, mp4_clip):
    data = mp4_clip.read_bytes()
    stale = start_upload(user_client, size=len(data)).json()
    aborted = start_upload(user_client, size=len(data)).json()
    MultipartUpload.objects.filter(pk=stale["upload_id"]).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )

    user_client.post(f"{URL}{aborted['upload_id']}/abort/")
    multipart_uploads_abort_stale()

    assert listed_video(user_client, stale["video_id"]) is None
    assert listed_video(user_client, aborted["video_id"]) is None
    assert not Video.objects.exists()
