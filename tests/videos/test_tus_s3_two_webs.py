"""tus uploads on S3 storage across web processes: any web process can take any PATCH.

The tests alternate chunks between two real `runserver` processes, each with its own
VAR_DIR, sharing only the database and S3 (moto's S3 HTTP server).
"""

import socket
import threading
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from django.conf import settings

from accounts.services import auth_token_issue
from tests.videos.tus_requests import OFFSET_TYPE, TUS, URL, upload_of
from tests.waiting import wait_for
from tests.webs import WebProcess, delete_broker_keys
from videos.models import Video, VideoStatus
from videos.uploads.models import TusUpload, UploadStatus

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("small_parts"),
]

MiB = 1024 * 1024
PART = 5 * MiB


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


def _http_start(base: str, token: str, *, length: int) -> str:
    """POST a tus upload of `length` bytes (named clip.mp4) to the web process at `base`;
    return its path."""
    response = requests.post(
        f"{base}{URL}",
        headers={
            **TUS,
            "Authorization": f"Token {token}",
            "Upload-Length": str(length),
            "Upload-Metadata": "filename Y2xpcC5tcDQ=",
        },
        timeout=60,
    )
    assert response.status_code == 201, response.text
    return urlsplit(response.headers["Location"]).path


def _http_patch(base: str, path: str, token: str, data: bytes, *, offset: int):
    headers = {
        **TUS,
        "Authorization": f"Token {token}",
        "Upload-Offset": str(offset),
        "Content-Type": OFFSET_TYPE,
    }
    return requests.patch(f"{base}{path}", data=data, headers=headers, timeout=60)


def test_patches_alternating_between_two_web_processes_complete_the_upload(
    s3_storage, two_webs, user, mp4_11_mib
):
    # given an upload created on the first web process
    token = auth_token_issue(user=user).token
    data = mp4_11_mib.read_bytes()
    first, second = (web.url for web in two_webs)
    path = _http_start(first, token, length=len(data))

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
    assert s3_storage.read(video.original_key) == data
    assert s3_storage.open_uploads() == []


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
    s3_storage, two_webs, user, mp4_11_mib
):
    # given an upload, and a slow PATCH of the whole file on the first process, half sent
    token = auth_token_issue(user=user).token
    data = mp4_11_mib.read_bytes()
    first, second = (web.url for web in two_webs)
    path = _http_start(first, token, length=len(data))
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
    assert s3_storage.read(upload.s3_key) == data
    # a late PATCH at the old offset conflicts with the server's offset
    late = _http_patch(second, path, token, bytes(10), offset=0)
    assert late.status_code == 409, late.text
