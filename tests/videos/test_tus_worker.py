"""The tus server with a real tus client (tuspy) over HTTP, and its cleanup on a worker."""

import socket
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from celery import current_app
from django.utils import timezone
from tusclient import client as tus

from accounts.services import auth_token_issue
from jobs.models import ProcessingJob
from tests.videos import clips
from tests.videos.tus_requests import (
    OFFSET_TYPE,
    URL,
    patch_chunk,
    start_upload,
    upload_of,
)
from tests.waiting import wait_for
from videos.models import Video, VideoStatus
from videos.uploads import partials
from videos.uploads.models import TusUpload, UploadStatus

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _drop_mid_patch(upload_url: str, token: str, data: bytes, *, offset: int, send: int) -> None:
    """Send a PATCH announcing all of `data` but only `send` bytes of it, then hang up."""
    parts = urlsplit(upload_url)
    head = (
        f"PATCH {parts.path} HTTP/1.1\r\n"
        f"Host: {parts.netloc}\r\n"
        f"Authorization: Token {token}\r\n"
        "Tus-Resumable: 1.0.0\r\n"
        f"Upload-Offset: {offset}\r\n"
        f"Content-Type: {OFFSET_TYPE}\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    ).encode()
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head + data[:send])


@pytest.fixture(scope="module")
def tus_clip(clip_dir) -> Path:
    return clips.make_clip(clip_dir / "tus.mp4", seconds=2, size="320x240", fps=15)


def test_tus_client_resumes_an_interrupted_upload_that_becomes_a_ready_video(
    live_server, live_worker, user, tus_clip
):
    # given a tus client with the user's token, sending the clip in six chunks
    token = auth_token_issue(user=user).token
    client = tus.TusClient(f"{live_server.url}{URL}", headers={"Authorization": f"Token {token}"})
    data = tus_clip.read_bytes()
    chunk = -(-len(data) // 6)
    metadata = {"filename": "holiday.mp4", "title": "Holiday"}
    first = client.uploader(file_path=str(tus_clip), chunk_size=chunk, metadata=metadata)

    # when half the chunks arrive, then the next one breaks off midway
    first.upload(stop_at=3 * chunk)
    upload = upload_of(first.url)
    _drop_mid_patch(
        first.url, token, data[3 * chunk : 4 * chunk], offset=3 * chunk, send=chunk // 2
    )

    # then the bytes that did arrive are kept
    received = 3 * chunk + chunk // 2

    def recorded() -> bool:
        upload.refresh_from_db()
        return upload.offset == received

    wait_for(recorded, timeout=10, message="the interrupted chunk's bytes recorded")

    # when a new uploader resumes from the server's offset
    resumed = tus.Uploader(
        file_path=str(tus_clip),
        url=first.url,
        client=client,
        chunk_size=chunk,
        retries=3,
        retry_delay=1,
    )
    assert resumed.offset == received
    resumed.upload()

    # then the file is whole and becomes a video the worker makes ready
    headers = resumed.request.response_headers
    video = Video.objects.get(pk=headers["upload-video-id"])
    assert headers["upload-job-id"] == str(video.current_job_id)
    upload.refresh_from_db()
    assert (upload.status, upload.video_id) == (UploadStatus.COMPLETED, video.pk)
    assert video.original_size == len(data)
    assert (video.title, video.original_filename) == ("Holiday", "holiday.mp4")
    assert not partials.partial_path(upload.pk).exists()

    def finished() -> bool:
        video.refresh_from_db()
        return video.status in (VideoStatus.READY, VideoStatus.ERROR)

    wait_for(finished, timeout=90, message="the uploaded video processed")
    assert video.status == VideoStatus.READY, video.error_reason
    assert video.duration == pytest.approx(2, abs=0.2)


def test_the_periodic_cleanup_task_removes_expired_uploads_on_a_worker(live_worker, user_client):
    # given an expired upload
    url = start_upload(user_client, length=10)
    patch_chunk(user_client, url, b"hello", offset=0)
    upload = upload_of(url)
    TusUpload.objects.filter(pk=upload.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    # when beat sends the task (by name, with no job)
    current_app.send_task("videos.cleanup.expire_tus_uploads", queue="low_priority")

    # then a job runs it on the worker and the upload and its data are gone
    job = wait_for(
        lambda: ProcessingJob.objects.filter(
            job_type="tus_uploads_expire", status="completed"
        ).first(),
        timeout=30,
        message="the cleanup job completed",
    )
    assert job.result["removed"] == [str(upload.pk)]
    assert not TusUpload.objects.filter(pk=upload.pk).exists()
    assert not partials.partial_path(upload.pk).exists()
