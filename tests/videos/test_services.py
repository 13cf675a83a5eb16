"""Services of the videos app called directly: job hooks, signals, adoption, at-least-once."""

from pathlib import Path

import pytest
from botocore.config import Config
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from config.api_errors import service_error_status
from jobs.errors import PermanentJobError
from jobs.models import JobStatus, ProcessingJob
from jobs.progress import JobRun
from jobs.services import job_cancel, job_create, job_fail, job_start
from tests.factories import UserFactory
from tests.videos.factories import VideoFactory
from videos import signals
from videos.models import Video, VideoStatus
from videos.services import video_create, video_create_from_storage, video_process
from videos.services.editing import video_files_delete
from videos.storage import StorageUnavailable
from videos.validation import UploadRejected, UploadTooLarge

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("isolated_media")]


@pytest.fixture
def sent():
    """Record the videos sent with video_ready / video_failed during the test."""
    received: dict[str, list[Video]] = {"ready": [], "failed": []}

    def on_ready(sender, video, **kwargs):
        received["ready"].append(video)

    def on_failed(sender, video, **kwargs):
        received["failed"].append(video)

    signals.video_ready.connect(on_ready, dispatch_uid="test-ready")
    signals.video_failed.connect(on_failed, dispatch_uid="test-failed")
    yield received
    signals.video_ready.disconnect(dispatch_uid="test-ready")
    signals.video_failed.disconnect(dispatch_uid="test-failed")


def _processing_video_with_job(**kwargs) -> tuple[Video, ProcessingJob]:
    video = VideoFactory(processing=True, **kwargs)
    job = job_create(job_type="video_process", params={}, created_by=video.owner, target=video)
    Video.objects.filter(pk=video.pk).update(current_job=job)
    video.refresh_from_db()
    return video, job


def _upload(user, path: Path, name: str | None = None) -> Video:
    with path.open("rb") as f:
        return video_create(
            owner=user, file=File(f, name=path.name), filename=name or path.name, title="T"
        )


def _running(job: ProcessingJob) -> JobRun:
    started = job_start(job_id=str(job.pk), task_id=job.celery_task_id, worker="in-test")
    assert started is not None
    return JobRun(started)


def test_failed_job_puts_the_video_in_error_and_sends_video_failed(sent):
    video, job = _processing_video_with_job()

    job_fail(job_id=str(job.pk), error="The video file is truncated or corrupt: cut off.")

    video.refresh_from_db()
    assert video.status == VideoStatus.ERROR
    assert video.error_reason == "The video file is truncated or corrupt: cut off."
    assert [v.pk for v in sent["failed"]] == [video.pk]


def test_failure_of_a_superseded_job_leaves_the_video_alone(sent):
    video, old_job = _processing_video_with_job()
    new_job = job_create(job_type="video_process", params={}, target=video)
    Video.objects.filter(pk=video.pk).update(current_job=new_job)

    job_fail(job_id=str(old_job.pk), error="old failure")

    video.refresh_from_db()
    assert video.status == VideoStatus.PROCESSING
    assert sent["failed"] == []


def test_cancel_before_any_rendition_leaves_the_video_in_error():
    video, job = _processing_video_with_job()

    job_cancel(job=job)

    video.refresh_from_db()
    assert video.status == VideoStatus.ERROR
    assert "cancelled" in video.error_reason


def test_cancelled_reprocess_keeps_the_earlier_renditions_ready():
    video, job = _processing_video_with_job(
        mp4_key="processed/x/video.mp4",
        proxy_key="processed/x/proxy.mp4",
        thumbnail_key="processed/x/thumbnail.jpg",
    )

    job_cancel(job=job)

    video.refresh_from_db()
    assert video.status == VideoStatus.READY
    assert video.error_reason == ""


def test_pipeline_run_twice_gives_the_same_ready_video(user, mp4_clip, isolated_media, sent):
    # given an uploaded video whose job runs in this process
    video = _upload(user, mp4_clip)
    job = ProcessingJob.objects.get(pk=video.current_job_id)

    # when the job function runs, and runs again as after a redelivery
    first = video_process(run=_running(job))
    files_after_first = sorted(
        p.name for p in (isolated_media / "processed" / str(video.pk)).iterdir()
    )
    ProcessingJob.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
    second = video_process(run=_running(job))

    # then the video is ready once per run, with the same files and nothing else
    video.refresh_from_db()
    assert video.status == VideoStatus.READY
    assert first["mp4"] == second["mp4"] == video.mp4_key
    assert first["hls"] == second["hls"] == video.hls_key
    run = job.pk.hex[:12]
    assert files_after_first == sorted(
        ["proxy.mp4", "thumbnail.jpg", "video.mp4", f"hls-{run}", f"storyboard-{run}"]
    )
    assert sorted(p.name for p in (isolated_media / "processed" / str(video.pk)).iterdir()) == (
        files_after_first
    )
    assert [v.pk for v in sent["ready"]] == [video.pk, video.pk]
    assert first["metadata"]["width"] == 160


def test_a_run_deletes_ladders_and_storyboards_that_earlier_runs_left(
    user, mp4_clip, isolated_media, django_capture_on_commit_callbacks
):
    # given a video whose earlier, dead run stored a ladder no row points at
    video = _upload(user, mp4_clip)
    stale = isolated_media / "processed" / str(video.pk) / "hls-dead" / "480"
    stale.mkdir(parents=True)
    (stale / "seg_00000.m4s").write_bytes(b"old")
    job = ProcessingJob.objects.get(pk=video.current_job_id)

    # when its processing job runs
    with django_capture_on_commit_callbacks(execute=True):
        video_process(run=_running(job))

    # then only this run's ladder and storyboard are left
    video.refresh_from_db()
    folders = sorted(p.name for p in (isolated_media / "processed" / str(video.pk)).iterdir())
    assert not (isolated_media / "processed" / str(video.pk) / "hls-dead").exists()
    assert [f for f in folders if "-" in f] == sorted(
        [video.hls_key.split("/")[2], video.storyboard_key.split("/")[2]]
    )


def test_missing_original_fails_permanently_with_a_clear_message(user, mp4_clip):
    video = _upload(user, mp4_clip)
    default_storage.delete(video.original_key)
    job = ProcessingJob.objects.get(pk=video.current_job_id)

    with pytest.raises(PermanentJobError, match="missing from storage"):
        video_process(run=_running(job))


def test_unreachable_storage_is_a_transient_error(user, mp4_clip, settings):
    # given a video whose storage stops answering (S3 endpoint with nothing listening)
    video = _upload(user, mp4_clip)
    job = ProcessingJob.objects.get(pk=video.current_job_id)
    settings.AWS_STORAGE_BUCKET_NAME = "unreachable"
    settings.AWS_S3_ENDPOINT_URL = "http://127.0.0.1:9"
    settings.AWS_ACCESS_KEY_ID = settings.AWS_SECRET_ACCESS_KEY = "testing"
    settings.AWS_S3_CLIENT_CONFIG = Config(retries={"max_attempts": 1}, connect_timeout=1)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage"},
    }

    with pytest.raises(StorageUnavailable):
        video_process(run=_running(job))


def test_video_create_accepts_a_plain_django_file(user, mp4_clip):
    video = _upload(user, mp4_clip, name="recording.MOV")

    assert video.status == VideoStatus.PROCESSING
    assert video.original_key == f"originals/{video.pk}.mov"
    assert default_storage.open(video.original_key).read() == mp4_clip.read_bytes()


def test_rejected_service_upload_leaves_nothing(user, text_as_mp4, isolated_media):
    with pytest.raises(UploadRejected) as rejected:
        _upload(user, text_as_mp4)

    assert service_error_status(rejected.value) == 400
    assert Video.objects.count() == 0
    assert not (isolated_media / "originals").exists() or not any(
        (isolated_media / "originals").iterdir()
    )


def test_video_from_storage_moves_the_object_into_place(
    user, mp4_clip, django_capture_on_commit_callbacks
):
    default_storage.save("incoming/upload-1", ContentFile(mp4_clip.read_bytes()))

    with django_capture_on_commit_callbacks(execute=True):
        video = video_create_from_storage(
            owner=user, key="incoming/upload-1", filename="c:\\clips\\Trip.MP4", title="Trip"
        )

    assert video.original_key == f"originals/{video.pk}.mp4"
    assert video.original_filename == "Trip.MP4"
    assert video.container == "mp4"
    assert default_storage.open(video.original_key).read() == mp4_clip.read_bytes()
    assert not default_storage.exists("incoming/upload-1")
    assert ProcessingJob.objects.get(pk=video.current_job_id).target == video


@pytest.mark.parametrize("key", ["originals/someone-else.mp4", "processed/x/video.mp4", "../x.mp4"])
def test_video_from_storage_refuses_keys_of_other_videos(user, key):
    with pytest.raises(UploadRejected, match="can't be adopted"):
        video_create_from_storage(owner=user, key=key, filename="a.mp4", title="T")


def test_video_from_storage_checks_existence_size_and_content(user, text_as_mp4, settings):
    default_storage.save("incoming/text", ContentFile(text_as_mp4.read_bytes()))

    with pytest.raises(UploadRejected, match="No uploaded file"):
        video_create_from_storage(owner=user, key="incoming/none", filename="a.mp4", title="T")
    with pytest.raises(UploadRejected, match="not a video"):
        video_create_from_storage(owner=user, key="incoming/text", filename="a.mp4", title="T")
    settings.VIDEO_MAX_UPLOAD_BYTES = 10
    with pytest.raises(UploadTooLarge) as too_big:
        video_create_from_storage(owner=user, key="incoming/text", filename="a.mp4", title="T")

    assert service_error_status(too_big.value) == 413
    assert default_storage.exists("incoming/text")  # the caller's object is left alone
    assert Video.objects.count() == 0


def test_deleting_a_user_queues_the_deletion_of_their_video_files():
    # given a user with a video and its files
    owner = UserFactory()
    video = VideoFactory(owner=owner)
    for key in (video.original_key, video.mp4_key, video.thumbnail_key):
        default_storage.save(key, ContentFile(b"data"))

    # when the user is deleted (the video goes by cascade, not through video_delete)
    owner.delete()

    # then a cleanup job names the files, and running it removes them
    job = ProcessingJob.objects.get(job_type="video_delete_files")
    assert job.queue == "low_priority"
    assert set(job.params["keys"]) >= {video.original_key, video.mp4_key}
    video_files_delete(video_id=job.params["video_id"], keys=job.params["keys"])
    assert not default_storage.exists(video.original_key)
    assert not default_storage.exists(video.thumbnail_key)
