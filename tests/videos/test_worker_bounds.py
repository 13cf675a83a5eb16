"""A video worker stays bounded: the policy stops work before encoding, and a killed task
leaves no ffmpeg running and no work folder behind."""

import dataclasses
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings

from jobs import registry
from jobs.models import JobStatus, ProcessingJob
from jobs.services import job_create
from tests.videos import clips
from tests.waiting import wait_for
from tests.workers import WorkerProcess
from videos.media import workdirs
from videos.models import Video, VideoStatus

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# Jobs of this test go to a queue only its own worker (with its own settings) reads.
QUEUE = "video_processing_bounds_test"


def _processes_naming(folder: Path) -> list[int]:
    """Return the pids whose command line names `folder` (ffmpeg and what wraps it)."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(folder).encode() in (entry / "cmdline").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            continue
    return pids


def _folders(work: Path) -> list[Path]:
    return sorted(work.glob(f"{workdirs.PREFIX}*"))


def _age(folder: Path, seconds: float) -> None:
    """Pretend a folder was created `seconds` ago."""
    then = time.time() - seconds
    os.utime(folder, (then, then))


@pytest.fixture
def work(tmp_path) -> Path:
    folder = tmp_path / "video-work"
    folder.mkdir()
    return folder


@pytest.fixture
def bounded_worker(transactional_db, work, monkeypatch) -> Iterator[Callable[..., WorkerProcess]]:
    """Start a video worker with extra settings; its video jobs use `limits` (soft, hard).

    A soft limit of 0 means none (with a soft limit, Celery's event loop, used on Redis and
    RabbitMQ, only arms the hard timer once the soft one has fired).
    """
    started: list[WorkerProcess] = []

    def start(*, limits: tuple[int, int] | None = None, **env: str) -> WorkerProcess:
        for name in ("video_process", "video_work_dirs_sweep"):
            spec = registry.get_job_type(name)
            changes = {"queue": QUEUE}
            if limits and name == "video_process":
                changes.update(soft_time_limit=limits[0], time_limit=limits[1])
            monkeypatch.setitem(registry._registry, name, dataclasses.replace(spec, **changes))
        worker_env = {"VIDEO_WORK_DIR": str(work), **env}
        if limits:
            worker_env["VIDEO_TASK_SOFT_TIME_LIMIT"] = str(limits[0])
            worker_env["VIDEO_TASK_TIME_LIMIT"] = str(limits[1])
            if not limits[0]:  # else the pool falls back to the default soft limit
                worker_env["CELERY_TASK_SOFT_TIME_LIMIT"] = "0"
        worker = WorkerProcess(queues=(QUEUE,), concurrency=1, env=worker_env).wait_ready()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def _upload(client, path: Path) -> Video:
    with path.open("rb") as f:
        response = client.post("/api/v1/videos/upload/", {"file": f, "title": "Clip"}, "multipart")
    assert response.status_code == 202, response.json()
    return Video.objects.get(pk=response.json()["video_id"])


def _converting(video: Video) -> ProcessingJob:
    job = ProcessingJob.objects.get(pk=video.current_job_id)
    wait_for(
        lambda: (job.refresh_from_db(), job.progress_message.startswith("Converting"))[1],
        timeout=60,
        message="the transcode under way",
    )
    return job


def test_video_beyond_the_policy_fails_before_anything_is_encoded(
    bounded_worker, user_client, clip_dir
):
    # given a worker whose policy allows one second, and a two-second upload
    bounded_worker(VIDEO_MAX_DURATION_SECONDS="1")
    clip = clips.make_clip(clip_dir / "two-seconds.avi", seconds=2, size="160x120")

    video = _upload(user_client, clip)

    # then the job fails after the probe with the reason, and nothing was converted
    job = ProcessingJob.objects.get(pk=video.current_job_id)
    wait_for(lambda: (job.refresh_from_db(), job.is_final)[1], timeout=60, message="job final")
    video.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert video.status == VideoStatus.ERROR
    assert video.error_reason == (
        "The video is 0:00:02 long; the most we accept is 0:00:01. Trim it or split it into parts."
    )
    assert job.progress < 6 and job.attempts == 1  # never reached "Converting"
    assert video.duration == pytest.approx(2, abs=0.1)  # the probe's findings are kept
    assert not Path(settings.MEDIA_ROOT, "processed", str(video.pk)).exists()


def test_hard_time_limit_kills_ffmpeg_and_the_sweep_removes_its_work_folder(
    bounded_worker, user_client, clip_dir, work
):
    # given a worker whose video jobs are killed after 4 seconds (no soft limit, which would
    # stop the job politely first), converting a long clip
    worker = bounded_worker(limits=(0, 4))
    clip = clips.make_clip(clip_dir / "long.avi", seconds=60, size="640x360", fps=30)
    video = _upload(user_client, clip)
    _converting(video)
    [folder] = _folders(work)
    assert _processes_naming(folder), "ffmpeg should be running in the work folder"

    # when the hard limit kills the pool process (TERM, then KILL 0.1 s later)
    wait_for(lambda: "Hard time limit" in worker.log(), timeout=30, message="the hard limit")

    # then its ffmpeg is gone with it
    wait_for(lambda: not _processes_naming(folder), timeout=10, message="ffmpeg gone")

    # and after the periodic sweep (an hour later) no work folder is left either: the dying
    # process removed it if the TERM gave it time, else the sweep does
    leftovers = _folders(work)
    for leftover in leftovers:
        _age(leftover, 3600)
    sweep = job_create(job_type="video_work_dirs_sweep")
    wait_for(lambda: (sweep.refresh_from_db(), sweep.is_final)[1], message="the sweep job")
    assert sweep.status == JobStatus.COMPLETED
    assert sweep.result == {"removed": [path.name for path in leftovers]}
    assert _folders(work) == []


def test_periodic_sweep_removes_abandoned_work_folders_and_keeps_live_ones(
    bounded_worker, work, settings
):
    # given a folder whose process was SIGKILLed and one a live process is working in
    settings.VIDEO_WORK_DIR = str(work)
    script = (
        "import django, os, signal; django.setup()\n"
        "from videos.media import workdirs\n"
        "with workdirs.work_dir('killed') as path:\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "VIDEO_WORK_DIR": str(work)}
    subprocess.run([sys.executable, "-c", script], cwd=settings.BASE_DIR, env=env, check=False)
    [abandoned] = _folders(work)
    bounded_worker()

    with workdirs.work_dir("live") as live:
        for folder in (abandoned, live):
            _age(folder, 3600)

        # when the periodic sweep runs on that host
        sweep = job_create(job_type="video_work_dirs_sweep")
        wait_for(lambda: (sweep.refresh_from_db(), sweep.is_final)[1], message="the sweep job")

        # then only the abandoned folder is gone
        assert sweep.result == {"removed": [abandoned.name]}
        assert live.exists() and not abandoned.exists()


def test_a_sigkilled_worker_leaves_no_ffmpeg_and_the_next_job_sweeps_its_folder(
    bounded_worker, user_client, clip_dir, work
):
    # given a worker converting a long clip
    worker = bounded_worker()
    clip = clips.make_clip(clip_dir / "long2.avi", seconds=60, size="640x360", fps=30)
    _converting(_upload(user_client, clip))
    [folder] = _folders(work)

    # when the whole worker is SIGKILLed (main process and pool, like the OOM killer)
    worker.kill()

    # then no ffmpeg of it survives
    wait_for(lambda: not _processes_naming(folder), timeout=10, message="ffmpeg gone")

    # and the next video job on that host removes the abandoned folder before it starts
    _age(folder, 3600)
    bounded_worker()
    small = clips.make_clip(clip_dir / "small.avi", seconds=0.5, size="64x48")
    video = _upload(user_client, small)
    wait_for(
        lambda: (video.refresh_from_db(), video.status == VideoStatus.READY)[1],
        timeout=60,
        message="the next video ready",
    )
    assert not folder.exists()
    assert _folders(work) == []
