"""tus uploads on S3 storage (moto's S3 HTTP server): parts on S3, state in the database.

Whole parts go to S3 as they fill; the bytes of a part not yet full wait in a pending object.
These tests run in this process; tests/videos/test_tus_s3_two_webs.py spreads an upload
over two web processes.
"""

import io
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from config.api_errors import service_error_status
from tests.s3_buckets import S3Bucket
from tests.videos.tus_requests import TUS, patch_chunk, start_upload, upload_of
from tests.waiting import wait_for
from videos.models import Video, VideoStatus
from videos.uploads import tus_s3
from videos.uploads.models import TusUpload, UploadStatus
from videos.uploads.services import tus_upload_append, tus_uploads_expire
from videos.validation import UploadError

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("small_parts"),
]

MiB = 1024 * 1024
PART = 5 * MiB


def _parts(bucket: S3Bucket, upload: TusUpload) -> list[int]:
    listing = bucket.client.list_parts(
        Bucket=bucket.name, Key=upload.s3_key, UploadId=upload.s3_upload_id
    )
    return [part["Size"] for part in listing.get("Parts", [])]


def _pending_size(bucket: S3Bucket, upload: TusUpload) -> int | None:
    key = tus_s3.pending_name(upload.pk)
    found = bucket.client.list_objects_v2(Bucket=bucket.name, Prefix=key).get("Contents", [])
    return found[0]["Size"] if found else None


def test_small_patches_wait_on_s3_until_a_part_is_full(s3_storage, user_client, mp4_11_mib):
    # given an upload on S3 storage
    data = mp4_11_mib.read_bytes()
    url = start_upload(user_client, length=len(data), filename="Trip.MP4")
    upload = upload_of(url)
    assert upload.on_s3 and upload.s3_key == f"originals/{upload.video_id}.mp4"

    # when three 1.5 MiB chunks arrive (4.5 MiB: less than a part)
    chunk = 3 * MiB // 2
    for offset in range(0, 3 * chunk, chunk):
        response = patch_chunk(user_client, url, data[offset : offset + chunk], offset=offset)
        assert response.status_code == 204, response.content
        assert response["Upload-Offset"] == str(offset + chunk)

    # then no part went to S3 yet: the bytes wait in the pending object
    upload.refresh_from_db()
    assert (upload.offset, upload.s3_pending) == (3 * chunk, 3 * chunk)
    assert _parts(s3_storage, upload) == []
    assert _pending_size(s3_storage, upload) == 3 * chunk
    assert user_client.head(url, headers=TUS)["Upload-Offset"] == str(3 * chunk)

    # when the next chunk crosses 5 MiB
    response = patch_chunk(user_client, url, data[3 * chunk : 4 * chunk], offset=3 * chunk)

    # then one whole part is on S3 and only the rest waits
    assert response.status_code == 204, response.content
    upload.refresh_from_db()
    assert _parts(s3_storage, upload) == [PART]
    assert (upload.offset, upload.s3_pending) == (4 * chunk, 4 * chunk - PART)

    # when the rest arrives in one chunk
    response = patch_chunk(user_client, url, data[4 * chunk :], offset=4 * chunk)

    # then S3 joined the parts into the video's original, byte for byte, and nothing is left open
    assert response.status_code == 204, response.content
    video = Video.objects.get(pk=response["Upload-Video-Id"])
    assert video.status == VideoStatus.PROCESSING
    assert video.original_key == upload.s3_key
    assert s3_storage.read(video.original_key) == data
    assert s3_storage.open_uploads() == []
    assert _pending_size(s3_storage, upload) is None
    upload.refresh_from_db()
    assert upload.status == UploadStatus.COMPLETED
    assert [part["size"] for part in upload.s3_parts] == [PART, PART, len(data) - 2 * PART]


def test_expiry_aborts_the_s3_parts_and_removes_the_upload(s3_storage, user_client, mp4_11_mib):
    # given an upload with one part on S3 and bytes waiting, past its expiry
    data = mp4_11_mib.read_bytes()
    url = start_upload(user_client, length=len(data))
    response = patch_chunk(user_client, url, data[: 6 * MiB], offset=0)
    assert response.status_code == 204, response.content
    upload = upload_of(url)
    assert _parts(s3_storage, upload) == [PART]
    TusUpload.objects.filter(pk=upload.pk).update(expires_at=timezone.now() - timedelta(hours=1))

    # when the cleanup runs
    result = tus_uploads_expire()

    # then S3 holds no open upload and no pending bytes; the upload and its video are gone
    assert result["removed"] == [str(upload.pk)]
    assert s3_storage.open_uploads() == []
    assert _pending_size(s3_storage, upload) is None
    assert not TusUpload.objects.filter(pk=upload.pk).exists()
    assert not Video.objects.filter(pk=upload.video_id).exists()


def test_terminate_aborts_the_s3_parts(s3_storage, user_client, mp4_11_mib):
    data = mp4_11_mib.read_bytes()
    url = start_upload(user_client, length=len(data))
    assert patch_chunk(user_client, url, data[: 6 * MiB], offset=0).status_code == 204

    response = user_client.delete(url, headers=TUS)

    assert response.status_code == 204
    assert s3_storage.open_uploads() == []
    assert _pending_size(s3_storage, upload_of_any(url)) is None


def upload_of_any(url: str) -> TusUpload:
    """An unsaved stand-in for a deleted upload (only its id is used)."""
    return TusUpload(pk=url.rstrip("/").rsplit("/", 1)[-1])


def test_content_that_is_not_a_video_fails_and_leaves_nothing_on_s3(
    s3_storage, user_client, text_as_mp4
):
    data = text_as_mp4.read_bytes()
    url = start_upload(user_client, length=len(data))

    response = patch_chunk(user_client, url, data, offset=0)

    assert response.status_code == 400
    assert "not a video" in response.json()["detail"]
    upload = upload_of(url)
    assert upload.status == UploadStatus.FAILED
    assert s3_storage.object_keys(upload.s3_key) == set()
    assert s3_storage.open_uploads() == []


def test_a_lapsed_claim_is_taken_over(s3_storage, user_client, mp4_11_mib):
    # given an upload whose writer died holding its claim (a killed web process)
    data = mp4_11_mib.read_bytes()
    url = start_upload(user_client, length=len(data))
    upload = upload_of(url)
    token = tus_s3.claim(upload.pk, offset=0)
    assert patch_chunk(user_client, url, data[:MiB], offset=0).status_code == 423

    # when the claim lapses
    TusUpload.objects.filter(pk=upload.pk, writer=token).update(
        writer_expires_at=timezone.now() - timedelta(seconds=1)
    )

    # then the next PATCH takes the upload over
    response = patch_chunk(user_client, url, data, offset=0)
    assert response.status_code == 204, response.content
    wait_for(lambda: s3_storage.read(upload_of(url).s3_key) == data, message="the joined object")


def test_bytes_of_a_patch_cut_short_are_kept_for_the_next_one(s3_storage, user_client, mp4_11_mib):
    # given an upload, and a 7 MiB PATCH whose client goes away after 6 MiB
    data = mp4_11_mib.read_bytes()
    url = start_upload(user_client, length=len(data))
    upload = upload_of(url)
    body = io.BytesIO(data[: 6 * MiB])

    # when the server has read what arrived
    upload = tus_upload_append(upload=upload, offset=0, read=body.read, nbytes=7 * MiB)

    # then one part is on S3, the rest of what arrived waits, and the client resumes there
    assert _parts(s3_storage, upload) == [PART]
    assert (upload.offset, upload.s3_pending) == (6 * MiB, 6 * MiB - PART)
    assert user_client.get(url).json()["offset"] == 6 * MiB
    response = patch_chunk(user_client, url, data[6 * MiB :], offset=6 * MiB)
    assert response.status_code == 204, response.content
    assert s3_storage.read(upload_of(url).s3_key) == data


def test_pending_bytes_a_dead_request_wrote_but_never_recorded_are_ignored(
    s3_storage, user_client, mp4_11_mib
):
    # given an upload with 1 MiB waiting, whose pending object a request that died before
    # recording its chunk had already rewritten with more bytes
    data = mp4_11_mib.read_bytes()
    url = start_upload(user_client, length=len(data))
    assert patch_chunk(user_client, url, data[:MiB], offset=0).status_code == 204
    upload = upload_of(url)
    s3_storage.client.put_object(
        Bucket=s3_storage.name,
        Key=tus_s3.pending_name(upload.pk),
        Body=data[:MiB] + b"never recorded" * 1000,
    )

    # when the client resumes from the recorded offset
    response = patch_chunk(user_client, url, data[MiB:], offset=MiB)

    # then the file is whole: only the recorded pending bytes were used
    assert response.status_code == 204, response.content
    assert s3_storage.read(upload_of(url).s3_key) == data


def test_a_writer_whose_claim_was_taken_over_stops_with_409(s3_storage, user_client, mp4_11_mib):
    # given a PATCH streaming 6 MiB, whose claim another request takes over midway (as if
    # this one had stalled past its claim's expiry)
    data = mp4_11_mib.read_bytes()
    url = start_upload(user_client, length=len(data))
    upload = upload_of(url)
    body = io.BytesIO(data[: 6 * MiB])

    def read(size: int) -> bytes:
        if body.tell() == 4 * MiB:
            TusUpload.objects.filter(pk=upload.pk).update(writer=uuid.uuid4())
        return body.read(size)

    # when it reaches the end of its first part
    with pytest.raises(UploadError) as refused:
        tus_upload_append(upload=upload, offset=0, read=read, nbytes=6 * MiB)

    # then it is told to resume elsewhere, and writes nothing over the new writer's state
    assert (service_error_status(refused.value), refused.value.code) == (409, "upload_taken_over")
    upload.refresh_from_db()
    assert (upload.offset, upload.s3_parts) == (0, [])
    assert _parts(s3_storage, upload) == []


def test_a_stalled_writer_does_not_overwrite_the_pending_bytes_of_the_next(
    s3_storage, user_client, mp4_11_mib
):
    # given a PATCH whose client stalls, and whose claim another request takes over
    data = mp4_11_mib.read_bytes()
    url = start_upload(user_client, length=len(data))
    upload = upload_of(url)
    body = io.BytesIO(data[:MiB])

    def read(size: int) -> bytes:
        if body.tell() == MiB:  # the client hung; meanwhile it resumed elsewhere
            TusUpload.objects.filter(pk=upload.pk).update(writer=uuid.uuid4())
            raise OSError("client went away")
        return body.read(size)

    # when the stalled request gives up on its client
    with pytest.raises(UploadError):
        tus_upload_append(upload=upload, offset=0, read=read, nbytes=2 * MiB)

    # then it wrote no pending bytes
    assert _pending_size(s3_storage, upload) is None
