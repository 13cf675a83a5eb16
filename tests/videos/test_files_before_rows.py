"""Files before rows: storage writes never run inside a transaction, and files whose row
never committed are swept."""

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from commerce.models import StreamStatus
from jobs import receivers as jobs_receivers
from jobs.models import ProcessingJob
from jobs.progress import JobRun
from jobs.services import job_start
from tests.commerce.factories import LiveStreamFactory
from tests.videos.factories import VideoFactory
from tests.videos.tus_requests import patch_chunk, start_upload
from videos import storage
from videos.services import (
    video_create_from_original,
    video_delete,
    video_original_store,
    video_process,
)
from videos.services.orphans import ORPHAN_MIN_AGE, video_orphans_sweep

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("isolated_media")]


@pytest.fixture
def writes(monkeypatch) -> list[tuple[str, bool]]:
    """Record each storage write or delete with whether a transaction was open around it."""
    seen: list[tuple[str, bool]] = []
    for name in ("save_upload", "put_file", "copy", "delete_files"):
        real = getattr(storage, name)

        def spy(*args, _real=real, _name=name, **kwargs):
            seen.append((_name, connection.in_atomic_block))
            return _real(*args, **kwargs)

        monkeypatch.setattr(storage, name, spy)
    return seen


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_simple_upload_stores_its_file_before_the_transaction(user_client, mp4_clip, writes):
    with mp4_clip.open("rb") as f:
        response = user_client.post(
            "/api/v1/videos/upload/", {"file": f, "title": "T"}, "multipart"
        )

    assert response.status_code == 202
    assert writes == [("save_upload", False)]


def test_a_finished_tus_upload_stores_its_file_before_the_transaction(
    user_client, mp4_clip, writes
):
    data = mp4_clip.read_bytes()
    url = start_upload(user_client, length=len(data), filename="clip.mp4")

    assert patch_chunk(user_client, url, data, offset=0).status_code == 204
    assert writes == [("save_upload", False)]


def test_an_ending_stream_stores_its_recording_before_the_transaction(mp4_clip, writes):
    from commerce.services.streams import stream_end

    stream = LiveStreamFactory(status=StreamStatus.LIVE, started_at=timezone.now())

    with mp4_clip.open("rb") as f:
        stream = stream_end(stream=stream, recording=File(f, name="rec.mp4"))

    assert stream.recording is not None
    assert writes == [("save_upload", False)]


def test_processing_stores_renditions_outside_any_transaction(user, mp4_clip, writes, monkeypatch):
    # the job runs here, in this process: it must not reach a worker of the session
    monkeypatch.setattr(jobs_receivers, "job_publish", lambda job: None)
    with mp4_clip.open("rb") as f:
        original = video_original_store(file=File(f, name="c.mp4"), filename="c.mp4")
    video = video_create_from_original(owner=user, original=original, title="T")
    job = ProcessingJob.objects.get(pk=video.current_job_id)
    ProcessingJob.objects.filter(pk=job.pk).update(status="queued")
    started = job_start(job_id=str(job.pk), task_id=job.celery_task_id, worker="in-test")
    writes.clear()

    video_process(run=JobRun(started))

    # the MP4, proxy, thumbnail, then the HLS ladder's and the storyboard's files
    assert {name for name, _ in writes} == {"put_file"} and len(writes) > 3
    assert not any(in_transaction for _, in_transaction in writes)


def test_deleting_a_video_deletes_its_files_outside_any_transaction(user, writes):
    video = VideoFactory(owner=user)
    default_storage.save(video.mp4_key, ContentFile(b"mp4"))

    video_delete(video=video)

    assert writes == [("delete_files", False)]
    assert not default_storage.exists(video.mp4_key)


def test_files_whose_row_never_committed_are_swept_once_old_enough(user, mp4_clip, isolated_media):
    # given an original stored by a process that died before writing its row, a rendition
    # of a video that is gone, a fresh original whose row is about to commit, and a
    # video with its files
    with mp4_clip.open("rb") as f:
        lost = video_original_store(file=File(f, name="c.mp4"), filename="c.mp4")
    gone = "processed/9b2c4e36-6f54-4b1e-9d1e-4a0f6c1f0a11/video.mp4"
    default_storage.save(gone, ContentFile(b"mp4"))
    with mp4_clip.open("rb") as f:
        fresh = video_original_store(file=File(f, name="c.mp4"), filename="c.mp4")
    kept = VideoFactory(owner=user)
    default_storage.save(kept.original_key, ContentFile(b"original"))
    default_storage.save("jobs/outputs/x/result.csv", ContentFile(b"not a video file"))
    old = ORPHAN_MIN_AGE.total_seconds() + 60
    for key in (lost.key, gone, kept.original_key, "jobs/outputs/x/result.csv"):
        _age(Path(default_storage.path(key)), old)

    # when the sweep runs
    result = video_orphans_sweep()

    # then only the old files without a row are gone
    assert sorted(result["deleted"]) == sorted([lost.key, gone])
    assert not default_storage.exists(lost.key) and not default_storage.exists(gone)
    assert default_storage.exists(fresh.key)
    assert default_storage.exists(kept.original_key)
    assert default_storage.exists("jobs/outputs/x/result.csv")


def test_the_sweep_is_scheduled():
    from jobs.periodic import declared_schedules

    [schedule] = [s for s in declared_schedules() if s.name == "jobs: sweep orphaned files"]
    assert schedule.task == "jobs.cleanup.sweep_orphaned_files"  # every app's files, videos too
    assert timedelta(hours=1) <= ORPHAN_MIN_AGE
