"""tus uploads on S3 storage (moto's S3 HTTP server): parts on S3, state in the database.

Any web process can take any PATCH: the tests alternate chunks between two real
`runserver` processes, each with its own VAR_DIR, sharing only the database and S3.
"""

import io
import socket
import struct
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from django.conf import settings
from django.utils import timezone

from accounts.services import auth_token_issue
from tests.videos.test_s3_worker import S3Bucket, moto_s3, use_s3_storage
from tests.videos.tus_requests import TUS, URL, create_upload, patch_chunk, upload_of
from tests.waiting import wait_for
from tests.webs import WebProcess, delete_broker_keys
from videos.models import Video, VideoStatus
from videos.uploads import tus_s3
from videos.uploads.models import TusUpload, UploadStatus
from videos.uploads.services import tus_upload_append, tus_uploads_expire
from videos.validation import UploadRejected

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

__all__ = ["moto_s3"]  # the module-scoped moto server fixture, shared with the S3 tests

MiB = 1024 * 1024
PART = 5 * MiB


@pytest.fixture(scope="module")
def big_clip(clip_dir, mp4_clip) -> Path:
    """A valid MP4 of about 11 MiB (a real clip plus a `free` box): two parts and a rest."""
    data = mp4_clip.read_bytes()
    pad = 11 * MiB + 12345 - len(data)
    path = clip_dir / "tus-s3-big.mp4"
    path.write_bytes(data + struct.pack(">I4s", pad, b"free") + bytes(pad - 8))
    return path


@pytest.fixture
def bucket(moto_s3, settings) -> Iterator[S3Bucket]:
    """This process's default storage is the moto bucket; parts of 5 MiB."""
    s3_bucket, env = moto_s3
    use_s3_storage(settings, env)
    settings.S3_MULTIPART_PART_SIZE = PART
    yield s3_bucket
    for pending in _open_uploads(s3_bucket):
        s3_bucket.client.abort_multipart_upload(
            Bucket=s3_bucket.name, Key=pending["Key"], UploadId=pending["UploadId"]
        )


@pytest.fixture(scope="module")
def two_webs(moto_s3, django_db_setup, tmp_path_factory) -> Iterator[list[WebProcess]]:
    """Two web processes on two ports: own VAR_DIR each; shared database and S3 bucket.

    Their jobs go to broker queues of their own (no worker takes them: the processing of
    a finished upload is not what these tests check).
    """
    _bucket, env = moto_s3
    keyprefix = f"rh-tus-s3-{uuid.uuid4().hex[:8]}:"
    webs = []
    try:
        for index in range(2):
            web_env = {
                **env,
                "VAR_DIR": str(tmp_path_factory.mktemp(f"web{index}")),
                "S3_MULTIPART_PART_SIZE": str(PART),
                "DJANGO_SETTINGS_MODULE": "tests.multihost_settings",
                "TEST_BROKER_KEYPREFIX": keyprefix,
            }
            webs.append(WebProcess(env=web_env))
        yield [web.wait_ready() for web in webs]
    finally:
        for web in webs:
            web.stop()
        delete_broker_keys(settings.CELERY_BROKER_URL, keyprefix)


def _open_uploads(bucket: S3Bucket) -> list[dict]:
    return bucket.client.list_multipart_uploads(Bucket=bucket.name).get("Uploads", [])


def _parts(bucket: S3Bucket, upload: TusUpload) -> list[int]:
    listing = bucket.client.list_parts(
        Bucket=bucket.name, Key=upload.s3_key, UploadId=upload.s3_upload_id
    )
    return [part["Size"] for part in listing.get("Parts", [])]


def _pending_size(bucket: S3Bucket, upload: TusUpload) -> int | None:
    key = tus_s3.pending_name(upload.pk)
    found = bucket.client.list_objects_v2(Bucket=bucket.name, Prefix=key).get("Contents", [])
    return found[0]["Size"] if found else None


def _start(client, data: bytes, **kwargs) -> str:
    response = create_upload(client, length=len(data), **kwargs)
    assert response.status_code == 201, response.content
    return urlsplit(response["Location"]).path


def _http_patch(base: str, path: str, token: str, data: bytes, *, offset: int):
    headers = {
        **TUS,
        "Authorization": f"Token {token}",
        "Upload-Offset": str(offset),
        "Content-Type": "application/offset+octet-stream",
    }
    return requests.patch(f"{base}{path}", data=data, headers=headers, timeout=60)


def test_small_patches_wait_on_s3_until_a_part_is_full(bucket, user_client, big_clip):
    # given an upload on S3 storage
    data = big_clip.read_bytes()
    url = _start(user_client, data, filename="Trip.MP4")
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
    assert _parts(bucket, upload) == []
    assert _pending_size(bucket, upload) == 3 * chunk
    assert user_client.head(url, headers=TUS)["Upload-Offset"] == str(3 * chunk)

    # when the next chunk crosses 5 MiB
    response = patch_chunk(user_client, url, data[3 * chunk : 4 * chunk], offset=3 * chunk)

    # then one whole part is on S3 and only the rest waits
    assert response.status_code == 204, response.content
    upload.refresh_from_db()
    assert _parts(bucket, upload) == [PART]
    assert (upload.offset, upload.s3_pending) == (4 * chunk, 4 * chunk - PART)

    # when the rest arrives in one chunk
    response = patch_chunk(user_client, url, data[4 * chunk :], offset=4 * chunk)

    # then S3 joined the parts into the video's original, byte for byte, and nothing is left open
    assert response.status_code == 204, response.content
    video = Video.objects.get(pk=response["Upload-Video-Id"])
    assert video.status == VideoStatus.PROCESSING
    assert video.original_key == upload.s3_key
    assert bucket.read(video.original_key) == data
    assert _open_uploads(bucket) == []
    assert _pending_size(bucket, upload) is None
    upload.refresh_from_db()
    assert upload.status == UploadStatus.COMPLETED
    assert [part["size"] for part in upload.s3_parts] == [PART, PART, len(data) - 2 * PART]


def _http_create(base: str, token: str, *, length: int) -> requests.Response:
    """POST a tus upload of `length` bytes (named clip.mp4) to the web process at `base`."""
    return requests.post(
        f"{base}{URL}",
        headers={
            **TUS,
            "Authorization": f"Token {token}",
            "Upload-Length": str(length),
            "Upload-Metadata": "filename Y2xpcC5tcDQ=",
        },
        timeout=60,
    )


def test_patches_alternating_between_two_web_processes_complete_the_upload(
    bucket, two_webs, user, big_clip
):
    # given an upload created on the first web process
    token = auth_token_issue(user=user).token
    data = big_clip.read_bytes()
    first, second = (web.url for web in two_webs)
    response = _http_create(first, token, length=len(data))
    assert response.status_code == 201, response.text
    path = urlsplit(response.headers["Location"]).path

    # when its chunks (some under a part, some over) alternate between the two processes
    sizes = [MiB, 2 * MiB, 3 * MiB + 7, 700_000, 4 * MiB]
    offset, hosts = 0, [first, second]
    for index, size in enumerate([*sizes, len(data)]):
        chunk = data[offset : offset + size]
        if not chunk:
            break
        response = _http_patch(hosts[index % 2], path, token, chunk, offset=offset)
        assert response.status_code == 204, response.text
        offset += len(chunk)
        assert response.headers["Upload-Offset"] == str(offset)
        head = requests.head(
            f"{hosts[(index + 1) % 2]}{path}",
            headers={**TUS, "Authorization": f"Token {token}"},
            timeout=30,
        )
        assert head.headers["Upload-Offset"] == str(offset)  # the other host agrees

    # then the upload completed into a video whose original is the file, byte for byte
    upload = upload_of(path)
    assert upload.status == UploadStatus.COMPLETED
    video = Video.objects.get(pk=response.headers["Upload-Video-Id"])
    assert video.status == VideoStatus.PROCESSING
    assert str(video.current_job_id) == response.headers["Upload-Job-Id"]
    assert bucket.read(video.original_key) == data
    assert _open_uploads(bucket) == []


def _send_headers_and_part(base: str, path: str, token: str, data: bytes, send: int):
    """Open a PATCH of `data` but send only its first `send` bytes; return the socket."""
    parts = urlsplit(base)
    head = (
        f"PATCH {path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
        f"Authorization: Token {token}\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"
        "Content-Type: application/offset+octet-stream\r\n"
        f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
    ).encode()
    sock = socket.create_connection((parts.hostname, parts.port), timeout=60)
    sock.sendall(head + data[:send])
    return sock


def test_a_patch_while_another_is_writing_is_refused_and_the_file_stays_whole(
    bucket, two_webs, user, big_clip
):
    # given an upload, and a slow PATCH of the whole file on the first process, half sent
    token = auth_token_issue(user=user).token
    data = big_clip.read_bytes()
    first, second = (web.url for web in two_webs)
    response = _http_create(first, token, length=len(data))
    path = urlsplit(response.headers["Location"]).path
    upload = upload_of(path)
    slow = _send_headers_and_part(first, path, token, data, send=len(data) // 2)
    wait_for(
        lambda: TusUpload.objects.filter(pk=upload.pk, writer__isnull=False).exists(),
        timeout=30,
        message="the slow PATCH claimed the upload",
    )

    # when another PATCH of other bytes at the same offset reaches the second process
    rival = _http_patch(second, path, token, bytes(MiB), offset=0)

    # then it is told the upload is busy, and the first one finishes the file
    assert rival.status_code == 423, rival.text
    assert rival.json()["code"] == "upload_locked"
    reply: list[bytes] = []
    reader = threading.Thread(target=lambda: reply.append(slow.recv(4096)))
    reader.start()
    slow.sendall(data[len(data) // 2 :])
    reader.join(60)
    slow.close()
    assert reply and reply[0].startswith(b"HTTP/1.1 204"), reply
    upload.refresh_from_db()
    assert upload.status == UploadStatus.COMPLETED
    assert bucket.read(upload.s3_key) == data
    # a late PATCH at the old offset conflicts with the server's offset
    late = _http_patch(second, path, token, bytes(10), offset=0)
    assert late.status_code == 409, late.text


def test_expiry_aborts_the_s3_parts_and_removes_the_upload(bucket, user_client, big_clip):
    # given an upload with one part on S3 and bytes waiting, past its expiry
    data = big_clip.read_bytes()
    url = _start(user_client, data)
    response = patch_chunk(user_client, url, data[: 6 * MiB], offset=0)
    assert response.status_code == 204, response.content
    upload = upload_of(url)
    assert _parts(bucket, upload) == [PART]
    TusUpload.objects.filter(pk=upload.pk).update(expires_at=timezone.now() - timedelta(hours=1))

    # when the cleanup runs
    result = tus_uploads_expire()

    # then S3 holds no open upload and no pending bytes; the upload and its video are gone
    assert result["removed"] == [str(upload.pk)]
    assert _open_uploads(bucket) == []
    assert _pending_size(bucket, upload) is None
    assert not TusUpload.objects.filter(pk=upload.pk).exists()
    assert not Video.objects.filter(pk=upload.video_id).exists()


def test_terminate_aborts_the_s3_parts(bucket, user_client, big_clip):
    data = big_clip.read_bytes()
    url = _start(user_client, data)
    assert patch_chunk(user_client, url, data[: 6 * MiB], offset=0).status_code == 204

    response = user_client.delete(url, headers=TUS)

    assert response.status_code == 204
    assert _open_uploads(bucket) == []
    assert _pending_size(bucket, upload_of_any(url)) is None


def upload_of_any(url: str) -> TusUpload:
    """An unsaved stand-in for a deleted upload (only its id is used)."""
    return TusUpload(pk=url.rstrip("/").rsplit("/", 1)[-1])


def test_content_that_is_not_a_video_fails_and_leaves_nothing_on_s3(
    bucket, user_client, text_as_mp4
):
    data = text_as_mp4.read_bytes()
    url = _start(user_client, data)

    response = patch_chunk(user_client, url, data, offset=0)

    assert response.status_code == 400
    assert "not a video" in response.json()["detail"]
    upload = upload_of(url)
    assert upload.status == UploadStatus.FAILED
    assert bucket.object_keys(upload.s3_key) == set()
    assert _open_uploads(bucket) == []


def test_a_lapsed_claim_is_taken_over(bucket, user_client, big_clip):
    # given an upload whose writer died holding its claim (a killed web process)
    data = big_clip.read_bytes()
    url = _start(user_client, data)
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
    wait_for(lambda: bucket.read(upload_of(url).s3_key) == data, message="the joined object")


def test_bytes_of_a_patch_cut_short_are_kept_for_the_next_one(bucket, user_client, big_clip):
    # given an upload, and a 7 MiB PATCH whose client goes away after 6 MiB
    data = big_clip.read_bytes()
    url = _start(user_client, data)
    upload = upload_of(url)
    body = io.BytesIO(data[: 6 * MiB])

    # when the server has read what arrived
    upload = tus_upload_append(upload=upload, offset=0, read=body.read, nbytes=7 * MiB)

    # then one part is on S3, the rest of what arrived waits, and the client resumes there
    assert _parts(bucket, upload) == [PART]
    assert (upload.offset, upload.s3_pending) == (6 * MiB, 6 * MiB - PART)
    assert user_client.get(url).json()["offset"] == 6 * MiB
    response = patch_chunk(user_client, url, data[6 * MiB :], offset=6 * MiB)
    assert response.status_code == 204, response.content
    assert bucket.read(upload_of(url).s3_key) == data


def test_pending_bytes_a_dead_request_wrote_but_never_recorded_are_ignored(
    bucket, user_client, big_clip
):
    # given an upload with 1 MiB waiting, whose pending object a request that died before
    # recording its chunk had already rewritten with more bytes
    data = big_clip.read_bytes()
    url = _start(user_client, data)
    assert patch_chunk(user_client, url, data[:MiB], offset=0).status_code == 204
    upload = upload_of(url)
    bucket.client.put_object(
        Bucket=bucket.name,
        Key=tus_s3.pending_name(upload.pk),
        Body=data[:MiB] + b"never recorded" * 1000,
    )

    # when the client resumes from the recorded offset
    response = patch_chunk(user_client, url, data[MiB:], offset=MiB)

    # then the file is whole: only the recorded pending bytes were used
    assert response.status_code == 204, response.content
    assert bucket.read(upload_of(url).s3_key) == data


def test_a_writer_whose_claim_was_taken_over_stops_with_409(bucket, user_client, big_clip):
    # given a PATCH streaming 6 MiB, whose claim another request takes over midway (as if
    # this one had stalled past its claim's expiry)
    data = big_clip.read_bytes()
    url = _start(user_client, data)
    upload = upload_of(url)
    body = io.BytesIO(data[: 6 * MiB])

    def read(size: int) -> bytes:
        if body.tell() == 4 * MiB:
            TusUpload.objects.filter(pk=upload.pk).update(writer=uuid.uuid4())
        return body.read(size)

    # when it reaches the end of its first part
    with pytest.raises(UploadRejected) as refused:
        tus_upload_append(upload=upload, offset=0, read=read, nbytes=6 * MiB)

    # then it is told to resume elsewhere, and writes nothing over the new writer's state
    assert (refused.value.status_code, refused.value.get_codes()) == (409, "upload_taken_over")
    upload.refresh_from_db()
    assert (upload.offset, upload.s3_parts) == (0, [])
    assert _parts(bucket, upload) == []


def test_a_stalled_writer_does_not_overwrite_the_pending_bytes_of_the_next(
    bucket, user_client, big_clip
):
    # given a PATCH whose client stalls, and whose claim another request takes over
    data = big_clip.read_bytes()
    url = _start(user_client, data)
    upload = upload_of(url)
    body = io.BytesIO(data[:MiB])

    def read(size: int) -> bytes:
        if body.tell() == MiB:  # the client hung; meanwhile it resumed elsewhere
            TusUpload.objects.filter(pk=upload.pk).update(writer=uuid.uuid4())
            raise OSError("client went away")
        return body.read(size)

    # when the stalled request gives up on its client
    with pytest.raises(UploadRejected):
        tus_upload_append(upload=upload, offset=0, read=read, nbytes=2 * MiB)

    # then it wrote no pending bytes
    assert _pending_size(bucket, upload) is None
