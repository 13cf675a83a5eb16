"""The S3 endpoint goes down while a video is being processed, then comes back.

The worker reaches moto's S3 server through a TCP proxy this test closes and reopens on
the same port (moto itself keeps its objects); this process talks to moto directly.
"""

import contextlib
import dataclasses
import socket
import threading
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import boto3
import pytest
from django.core.files.storage import default_storage

from jobs import registry
from jobs.models import JobStatus, ProcessingJob
from tests.servers import free_port, moto_server
from tests.videos import clips
from tests.waiting import wait_for
from tests.workers import WorkerProcess
from videos.models import VideoStatus

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

QUEUE = f"video_s3_outage_{uuid.uuid4().hex[:6]}"


class TcpProxy:
    """127.0.0.1:port -> upstream; `down()` refuses and cuts connections, `up()` restores."""

    def __init__(self, upstream_port: int) -> None:
        self.port = free_port()
        self.upstream_port = upstream_port
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # closed by down()
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def moto_endpoint() -> Iterator[str]:
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture
def s3_through_proxy(transactional_db, settings, monkeypatch, moto_endpoint) -> Iterator[TcpProxy]:
    moto_port = urlsplit(moto_endpoint).port
    proxy = TcpProxy(moto_port)
    proxy.up()
    bucket = f"reelhouse-{uuid.uuid4().hex[:12]}"
    common = {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_S3_REGION_NAME": "us-east-1",
    }
    boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{moto_port}",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    ).create_bucket(Bucket=bucket)
    for setting, value in common.items():
        setattr(settings, setting, value)
    settings.AWS_S3_ENDPOINT_URL = f"http://127.0.0.1:{moto_port}"
    settings.AWS_DEFAULT_ACL = None
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage"},
    }
    spec = registry.get_job_type("video_process")
    monkeypatch.setitem(registry._registry, spec.name, dataclasses.replace(spec, queue=QUEUE))
    worker = WorkerProcess(
        queues=(QUEUE,),
        concurrency=1,
        env={
            **common,
            "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{proxy.port}",
            # time to see the failure and bring the endpoint back before the next attempt
            "VIDEO_STORAGE_RETRY_BACKOFF_SECONDS": "4",
        },
    ).wait_ready()
    try:
        yield proxy
    finally:
        worker.stop()
        proxy.down()


def test_a_transcode_whose_s3_endpoint_goes_down_and_back_finishes_once(
    s3_through_proxy, user, clip_dir
):
    from videos.services import video_create_from_storage

    # given a video being processed by a worker that reaches S3 through the proxy
    clip = clips.make_clip(clip_dir / "outage.mp4", seconds=6, size="320x240", fps=25)
    with clip.open("rb") as source:
        default_storage.save("incoming/outage.mp4", source)
    video = video_create_from_storage(
        owner=user, key="incoming/outage.mp4", filename="outage.mp4", title="Outage"
    )
    job = ProcessingJob.objects.get(pk=video.current_job_id)

    def job_state() -> ProcessingJob:
        job.refresh_from_db()
        return job

    wait_for(lambda: job_state().status == JobStatus.RUNNING, message="running", timeout=90)

    # when the endpoint goes away until the job has given up on this attempt
    s3_through_proxy.down()
    try:
        wait_for(
            lambda: job_state().status == JobStatus.QUEUED and job.next_attempt_at,
            message="a storage error and a retry scheduled",
            timeout=120,
        )
        assert "tried again automatically" in job.error
    finally:
        # then it comes back before the retry is due
        s3_through_proxy.up()

    # then the video is ready, made by one more attempt, its renditions stored once
    def finished() -> bool:
        video.refresh_from_db()
        return video.status in (VideoStatus.READY, VideoStatus.ERROR)

    wait_for(finished, message="video processed", timeout=180)
    assert video.status == VideoStatus.READY, video.error_reason
    wait_for(lambda: job_state().is_final, message="job finished", timeout=60)
    assert (job.status, job.attempts) == (JobStatus.COMPLETED, 2)
    assert default_storage.exists(video.thumbnail_key)
    processed = default_storage.listdir(f"processed/{video.pk}")[1]
    assert len(processed) == len(set(processed))
