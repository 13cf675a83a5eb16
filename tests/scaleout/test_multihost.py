"""Two web hosts and two worker hosts (network namespaces) sharing PostgreSQL, Redis and S3.

Each host is a network namespace with its own address and VAR_DIR; PostgreSQL, Redis and
the moto S3 server listen on 127.0.0.1 only, so the test relays them to each host from
our side of its veth pair. Where namespaces can't be made (not root, no iproute2), the
same hosts run as processes on separate ports of 127.0.0.1, and the test says so.
"""

import base64
import contextlib
import os
import struct
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from django.conf import settings
from django.db import connection

from accounts.services import auth_token_issue
from config.celery import QUEUE_NAMES
from jobs.models import JobStatus, ProcessingJob
from tests import workers as test_workers
from tests.hosts import Forwarder, Hosts, NamespacesUnavailable
from tests.s3_buckets import S3Bucket
from tests.servers import free_port, others_stopped
from tests.videos import clips
from tests.waiting import wait_for, wait_for_jobs_to_settle
from tests.webs import WebProcess, delete_broker_keys
from tests.workers import WorkerProcess
from videos.models import Video, VideoStatus

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(900),
]

MiB = 1024 * 1024
TUS = {"Tus-Resumable": "1.0.0"}
# A killed worker's unacknowledged job goes back to the queue after this many seconds
# (Redis visibility timeout; the surviving worker looks every 10 s).
VISIBILITY_SECONDS = 30


@dataclass
class Cluster:
    webs: list[WebProcess]
    workers: list[WorkerProcess]
    bucket: S3Bucket
    mode: str


@pytest.fixture(scope="module")
def postgres_and_redis() -> None:
    """Skip (before any server starts) unless the database and broker span hosts."""
    if connection.vendor != "postgresql" or not settings.CELERY_BROKER_URL.startswith("redis"):
        pytest.skip(
            "The multi-host test needs the PostgreSQL + Redis configuration (DATABASE_URL="
            "postgres://..., CELERY_BROKER_URL=redis://...): SQLite and the filesystem "
            "broker live in one host's files."
        )


def _address(url: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


def _with_address(url: str, host: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    auth = f"{netloc[0]}@" if len(netloc) == 2 else ""
    return parts._replace(netloc=f"{auth}{host}:{port}").geturl()


@pytest.fixture(scope="module")
def cluster(postgres_and_redis, moto_s3, django_db_setup, tmp_path_factory) -> Iterator[Cluster]:
    bucket, s3_env = moto_s3
    database_url = test_workers.test_database_url()
    broker_url = settings.CELERY_BROKER_URL
    endpoint = s3_env["AWS_S3_ENDPOINT_URL"]
    keyprefix = f"rh-multihost-{os.getpid()}-{free_port()}:"
    hosts, forwarders = Hosts(), []
    webs: list[WebProcess] = []
    workers: list[WorkerProcess] = []
    try:
        try:
            made = [hosts.add(role) for role in ("web1", "web2", "worker1", "worker2")]
            mode = "network namespaces"
        except NamespacesUnavailable as exc:
            hosts.close()
            made = []
            mode = "processes on separate ports of 127.0.0.1"
            note = f"Network namespaces unavailable ({exc}); running the hosts as {mode}."
            print(note)
            warnings.warn(note, stacklevel=1)
        urls: list[dict[str, str]] = []
        if made:
            # Our side of every veth pair relays to the servers on 127.0.0.1.
            listen = [host.host_ip for host in made]
            targets = {
                "db": _address(database_url, 5432),
                "broker": _address(broker_url, 6379),
                "s3": _address(endpoint, 80),
            }
            relays = {name: Forwarder(listen, target) for name, target in targets.items()}
            forwarders.extend(relays.values())
            for host in made:
                urls.append(
                    {
                        setting: _with_address(url, host.host_ip, relays[name].port)
                        for setting, name, url in (
                            ("DATABASE_URL", "db", database_url),
                            ("CELERY_BROKER_URL", "broker", broker_url),
                            ("AWS_S3_ENDPOINT_URL", "s3", endpoint),
                        )
                    }
                )
        else:
            urls = [
                {
                    "DATABASE_URL": database_url,
                    "CELERY_BROKER_URL": broker_url,
                    "AWS_S3_ENDPOINT_URL": endpoint,
                }
            ] * 4

        def host_env(index: int, address: str) -> dict[str, str]:
            return {
                **s3_env,
                **urls[index],
                "DJANGO_SETTINGS_MODULE": "tests.multihost_settings",
                "TEST_BROKER_KEYPREFIX": keyprefix,
                "VAR_DIR": str(tmp_path_factory.mktemp(f"host{index}")),
                "ALLOWED_HOSTS": f"{address},127.0.0.1,localhost",
                "S3_MULTIPART_PART_SIZE": str(5 * MiB),
                "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_SECONDS),
                "VIDEO_FFMPEG_THREADS": "1",
                "JOBS_PROGRESS_INTERVAL_SECONDS": "0.2",  # see the encode start
            }

        for index in (0, 1):
            address = made[index].ip if made else "127.0.0.1"
            prefix = made[index].prefix if made else ()
            port = 8000 if made else None  # a namespace has its ports to itself
            env = host_env(index, address)
            webs.append(WebProcess(host=address, port=port, env=env, prefix=prefix))
        for index in (2, 3):
            address = made[index].ip if made else "127.0.0.1"
            prefix = made[index].prefix if made else ()
            env = host_env(index, address)
            workers.append(WorkerProcess(queues=QUEUE_NAMES, concurrency=1, env=env, prefix=prefix))
        for web in webs:
            web.wait_ready(timeout=120)
        for worker in workers:
            worker.wait_ready(timeout=120)
        print(f"multi-host test: {mode}; web hosts {[web.url for web in webs]}")
        # The session's own workers share the database: left running, their reapers would
        # requeue this deployment's dead workers' jobs onto the session's broker.
        with others_stopped(keep=[*webs, *workers]):
            yield Cluster(webs=webs, workers=workers, bucket=bucket, mode=mode)
    finally:
        for process in [*webs, *workers]:
            with contextlib.suppress(Exception):  # tear down the rest whatever happens
                process.kill() if isinstance(process, WorkerProcess) else process.stop()
        for forwarder in forwarders:
            forwarder.close()
        hosts.close()
        delete_broker_keys(broker_url, keyprefix)


@pytest.fixture(scope="module")
def clip_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("multihost-clips")


@pytest.fixture(scope="module")
def small_clip(clip_dir) -> Path:
    """A 2 s 320p MP4 padded (a `free` box) past 5 MiB: one whole S3 part and a rest."""
    clip = clips.make_clip(clip_dir / "multihost.mp4", seconds=2, size="320x240", fps=15)
    data = clip.read_bytes()
    pad = 6 * MiB + 4321 - len(data)
    path = clip_dir / "multihost-big.mp4"
    path.write_bytes(data + struct.pack(">I4s", pad, b"free") + bytes(pad - 8))
    return path


@pytest.fixture(scope="module")
def encode_clip(clip_dir) -> Path:
    """A clip that must be re-encoded (MPEG-4 Part 2 in AVI) and takes a few seconds."""
    return clips.make_clip(clip_dir / "multihost.avi", seconds=20, size="320x240", fps=25)


def _upload_alternating(cluster: Cluster, token: str, data: bytes, filename: str, chunk: int):
    """Create a tus upload on the first web host; PATCH its chunks to each host in turn."""
    auth = {**TUS, "Authorization": f"Token {token}"}
    first = cluster.webs[0].url
    created = requests.post(
        f"{first}/api/v1/videos/uploads/",
        headers={
            **auth,
            "Upload-Length": str(len(data)),
            "Upload-Metadata": f"filename {_b64(filename)}",
        },
        timeout=60,
    )
    assert created.status_code == 201, created.text
    path = urlsplit(created.headers["Location"]).path
    offset, response = 0, created
    for index, start in enumerate(range(0, len(data), chunk)):
        web = cluster.webs[index % 2]
        body = data[start : start + chunk]
        response = requests.patch(
            f"{web.url}{path}",
            data=body,
            headers={
                **auth,
                "Upload-Offset": str(offset),
                "Content-Type": "application/offset+octet-stream",
            },
            timeout=120,
        )
        assert response.status_code == 204, f"{web.url}: {response.text}"
        offset += len(body)
    assert response.headers["Upload-Offset"] == str(len(data))
    return response.headers


@pytest.fixture(autouse=True)
def _jobs_settled(transactional_db) -> Iterator[None]:
    """Let the cluster finish what a test set off (announcements after `ready`) before the
    database is flushed: a job still writing would deadlock with the flush's TRUNCATE."""
    yield
    wait_for_jobs_to_settle(timeout=60)


def _b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def _video_finished(video_id: str) -> Video | None:
    video = Video.objects.get(pk=video_id)
    return video if video.status in (VideoStatus.READY, VideoStatus.ERROR) else None


def test_tus_upload_alternating_between_web_hosts_becomes_ready(cluster, user, small_clip):
    # given a user's token and a 6 MiB clip
    token = auth_token_issue(user=user).token
    data = small_clip.read_bytes()

    # when its tus PATCHes (1.5 MiB each) alternate between the two web hosts
    headers = _upload_alternating(cluster, token, data, "trip.mp4", chunk=3 * MiB // 2)

    # then the upload became the video's original on S3, byte for byte, and a worker host
    # made it ready
    video = wait_for(
        lambda: _video_finished(headers["Upload-Video-Id"]),
        timeout=300,
        message=f"the video processed ({cluster.mode})",
    )
    assert video.status == VideoStatus.READY, video.error_reason
    assert cluster.bucket.read(video.original_key) == data
    job = ProcessingJob.objects.get(pk=headers["Upload-Job-Id"])
    assert job.worker in {worker.hostname for worker in cluster.workers}


def test_worker_host_killed_mid_encode_has_its_job_finished_by_the_other(
    cluster, user, encode_clip
):
    # given a video being encoded on one of the worker hosts
    token = auth_token_issue(user=user).token
    headers = _upload_alternating(cluster, token, encode_clip.read_bytes(), "long.avi", MiB)
    job = ProcessingJob.objects.get(pk=headers["Upload-Job-Id"])

    def encoding_on() -> str:
        job.refresh_from_db()
        assert not job.is_final, f"the job ended before its worker could be killed: {job.status}"
        converting = job.status == JobStatus.RUNNING and "Converting" in job.progress_message
        return job.worker if converting else ""

    hostname = wait_for(encoding_on, timeout=180, interval=0.05, message="the encode running")
    [victim] = [worker for worker in cluster.workers if worker.hostname == hostname]
    [survivor] = [worker for worker in cluster.workers if worker is not victim]

    # when that host's worker is SIGKILLed, main process and pool (an OOM kill, a crash)
    victim.kill()

    # then the other worker host finishes the job and the video is ready
    def job_finished() -> bool:
        job.refresh_from_db()
        return job.is_final

    wait_for(
        job_finished,
        timeout=600,
        message=f"the job finished on the surviving host ({cluster.mode})",
    )
    assert job.status == JobStatus.COMPLETED, job.error
    video = Video.objects.get(pk=headers["Upload-Video-Id"])
    assert video.status == VideoStatus.READY, video.error_reason
    assert job.worker == survivor.hostname
    assert job.attempts >= 2
