"""The `video_process` pipeline and the state of a video around its processing jobs.

A run fetches the original into a temp dir, probes it, transcodes it in one ffmpeg pass,
writes the three renditions to their final keys (each write is atomic; the row points at
them only once all three are in place) and marks the video `ready`. Running it twice
overwrites identical outputs, so redelivery is safe.

Outcomes: bad media fails the job at once (PermanentJobError), storage outages retry
(StorageUnavailable is the job type's `retry_for`), and the job's `on_failed` hook sets
the video to `error` with the job's message — also when the watchdog gives up on a dead
worker. A cancelled run puts the video back to `ready` if an earlier run left renditions
(they still match the original), else to `error` saying it was cancelled.
"""

import logging
import posixpath
import time
from functools import partial
from pathlib import Path
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from jobs.errors import JobCancelled, JobStateError, PermanentJobError
from jobs.models import ProcessingJob
from jobs.progress import JobRun
from jobs.services import job_create
from videos import selectors, signals, storage
from videos.media import (
    MediaError,
    MediaPolicy,
    PolicyViolation,
    Renditions,
    TranscodeCancelled,
    VideoMetadata,
    ladder,
    probe,
    storyboard,
    transcode,
    workdirs,
)
from videos.models import Video, VideoStatus
from videos.services.uploads import VIDEO_PROCESS_JOB

logger = logging.getLogger(__name__)

# Progress bands of one run (percent).
PROBE_AT = 4
TRANSCODE_FROM = 6
STORE_FROM = 92
CANCELLED_REASON = "Processing was cancelled; reprocess the video to try again."
MISSING_ORIGINAL = "The video's original file is missing from storage; upload it again."


def video_process(*, run: JobRun) -> dict[str, Any]:
    """Turn the job's video into its renditions and mark it ready."""
    steps = _Steps()
    video = _claim(video_id=_video_id(run.job), job=run.job)
    workdirs.sweep()  # what a killed run on this host left behind
    with workdirs.work_dir(str(video.pk)) as workdir:
        run.progress(1, "Fetching the original", force=True)
        source = _fetch(video.original_key, workdir)
        steps.done("fetch")
        run.progress(PROBE_AT, "Reading the video", force=True)
        metadata = _probe(video, source)
        steps.done("probe")
        renditions = _transcode(run, source, workdir / "out", metadata, video.thumbnail_at)
        steps.done("transcode")
        run.progress(STORE_FROM, "Storing the renditions", force=True)
        keys = _store(run, video.pk, renditions)
        steps.done("store")
    if not _publish(video_id=video.pk, job=run.job, keys=keys):
        raise JobCancelled(f"Video {video.pk} was deleted or handed to another job.")
    steps.done("publish")
    logger.info("video ready video_id=%s job_id=%s (%s)", video.pk, run.job_id, steps)
    return {
        "video_id": str(video.pk),
        **keys,
        "remuxed": renditions.remuxed,
        "metadata": metadata.as_dict(),
    }


class _Steps:
    """Seconds each step of a run took, for the log line that says the video is ready."""

    def __init__(self) -> None:
        self._last = time.monotonic()
        self._seconds: dict[str, float] = {}

    def done(self, step: str) -> None:
        now = time.monotonic()
        self._seconds[step], self._last = now - self._last, now

    def __str__(self) -> str:
        return " ".join(f"{step}={seconds:.2f}s" for step, seconds in self._seconds.items())


def _video_id(job: ProcessingJob) -> str:
    return job.target_object_id or str(job.params.get("video_id", ""))


@transaction.atomic
def _claim(*, video_id: str, job: ProcessingJob) -> Video:
    """Make this job the video's current one and mark the video processing."""
    try:
        video = Video.objects.select_for_update().filter(pk=video_id).first()
    except ValidationError:
        video = None
    if video is None:
        raise PermanentJobError("The video was deleted before it could be processed.")
    if not video.original_key:
        raise PermanentJobError("The video has no original file to process; upload it again.")
    video.status = VideoStatus.PROCESSING
    video.error_reason = ""
    video.current_job = job
    video.save(update_fields=["status", "error_reason", "current_job", "updated_at"])
    return video


def _fetch(key: str, workdir: Path) -> Path:
    try:
        with storage.storage_errors():
            return storage.fetch(key, workdir)
    except storage.StoredFileMissing as exc:
        raise PermanentJobError(MISSING_ORIGINAL) from exc


def _probe(video: Video, source: Path) -> VideoMetadata:
    """Read the metadata, store it on the video (operators see it on failure), check the policy.

    A video beyond the media policy fails here, before anything is encoded.
    """
    try:
        metadata = probe(source)
    except MediaError as exc:
        raise PermanentJobError(str(exc)) from exc
    Video.objects.filter(pk=video.pk).update(
        duration=metadata.duration,
        width=metadata.width,
        height=metadata.height,
        rotation=metadata.rotation,
        fps=metadata.fps,
        video_codec=metadata.video_codec[:32],
        audio_codec=(metadata.audio_codec or "")[:32],
        bitrate=metadata.bitrate,
        has_audio=metadata.has_audio,
        updated_at=timezone.now(),
    )
    try:
        MediaPolicy.from_settings().check(metadata)
    except PolicyViolation as exc:
        raise PermanentJobError(str(exc)) from exc
    return metadata


def _transcode(
    run: JobRun, source: Path, out_dir: Path, metadata: VideoMetadata, thumbnail_at: float | None
) -> Renditions:
    span = STORE_FROM - TRANSCODE_FROM

    def on_progress(percent: float) -> None:
        run.progress(TRANSCODE_FROM + percent * span / 100, f"Converting: {percent:.0f}%")

    try:
        return transcode(
            source,
            out_dir,
            metadata=metadata,
            thumbnail_at=thumbnail_at,
            on_progress=on_progress,
            should_cancel=run.should_cancel,
        )
    except MediaError as exc:
        raise PermanentJobError(str(exc)) from exc
    except TranscodeCancelled as exc:
        raise JobCancelled(f"Job {run.job_id} was cancelled during the transcode.") from exc


def _store(run: JobRun, video_id: Any, renditions: Renditions) -> dict[str, str]:
    """Write the renditions to their final keys; return {rendition: key}.

    The HLS ladder and the storyboard go into folders of this run (named after the job),
    so a rerun of the same job overwrites them with the same files.
    """
    files = {"mp4": renditions.mp4, "proxy": renditions.proxy, "thumbnail": renditions.thumbnail}
    keys: dict[str, str] = {}
    for done, (rendition, path) in enumerate(files.items()):
        run.progress(STORE_FROM + done * 2, f"Storing the {rendition}", force=True)
        key = storage.rendition_key(video_id, rendition)
        with storage.storage_errors():
            storage.put_file(key, path)
        keys[rendition] = key
    tag = run.job.pk.hex[:12]
    folders = {
        "hls": (renditions.hls, ladder.MASTER_NAME),
        "storyboard": (renditions.storyboard, storyboard.VTT_NAME),
    }
    for rendition, (folder, entry) in folders.items():
        if folder is None:
            continue
        run.progress(STORE_FROM + 6, f"Storing the {rendition}", force=True)
        with storage.storage_errors():
            prefix = storage.run_folder(video_id, rendition, tag)
            keys[rendition] = storage.put_folder(prefix, folder, last=entry)
    return keys


def _publish(*, video_id: Any, job: ProcessingJob, keys: dict[str, str]) -> bool:
    """Point the video at its renditions and mark it ready; False if it is no longer ours."""
    with transaction.atomic():
        video = Video.objects.select_for_update().filter(pk=video_id).first()
        if video is not None and video.current_job_id == job.pk:
            replaced = video.thumbnail_key  # a thumbnail chosen earlier, now made again
            if replaced and replaced != keys["thumbnail"]:
                transaction.on_commit(partial(storage.delete_quietly, replaced))
            # Earlier runs' ladders and storyboards (the one replaced, and any a run that
            # died after storing them left behind) go once this commit makes them unused.
            keep = [posixpath.dirname(keys[k]) for k in ("hls", "storyboard") if k in keys]
            transaction.on_commit(partial(storage.delete_other_run_folders, video.pk, keep))
            video.mp4_key, video.proxy_key = keys["mp4"], keys["proxy"]
            video.thumbnail_key = keys["thumbnail"]
            video.hls_key = keys.get("hls", "")
            video.storyboard_key = keys.get("storyboard", "")
            video.status = VideoStatus.READY
            video.error_reason = ""
            video.processed_at = timezone.now()
            video.save(
                update_fields=[
                    *("mp4_key", "proxy_key", "thumbnail_key", "status", "error_reason"),
                    *("hls_key", "storyboard_key"),
                    *("processed_at", "updated_at"),
                ]
            )
            signals.video_ready.send(sender=Video, video=video)
            return True
    if video is None:  # deleted while we worked: do not leave our outputs behind
        with storage.storage_errors():
            storage.delete_files(video_id, list(keys.values()))
    return False


@transaction.atomic
def video_reprocess(*, video: Video, requested_by: AbstractBaseUser | None) -> ProcessingJob:
    """Start a new processing job for a video; refuse while one is active."""
    video = Video.objects.select_for_update().get(pk=video.pk)
    active = selectors.video_active_job(video=video)
    if active is not None:
        raise JobStateError(
            f"The video is already being processed (job {active.pk} is {active.status}); "
            "wait for it to finish or cancel it first."
        )
    if not video.original_key:
        raise JobStateError("The video has no original file to process; upload it again.")
    job = job_create(
        job_type=VIDEO_PROCESS_JOB,
        params={"video_id": str(video.pk)},
        created_by=requested_by,
        target=video,
    )
    video.status = VideoStatus.PROCESSING
    video.error_reason = ""
    video.current_job = job
    video.save(update_fields=["status", "error_reason", "current_job", "updated_at"])
    logger.info("video reprocess video_id=%s job_id=%s", video.pk, job.pk)
    return job


def _video_waiting_on(job: ProcessingJob) -> Video | None:
    """Return the job's video, locked, if it is still waiting on this very job."""
    try:
        video = Video.objects.select_for_update().filter(pk=_video_id(job)).first()
    except ValidationError:
        return None
    if video is None or video.status not in (VideoStatus.UPLOADING, VideoStatus.PROCESSING):
        return None
    if video.current_job_id not in (None, job.pk):
        return None
    return video


def video_processing_failed(job: ProcessingJob) -> None:
    """Set the job's video to `error` with the job's message and send video_failed.

    The `on_failed` hook of `video_process`: runs in the transaction that fails the job.
    """
    video = _video_waiting_on(job)
    if video is None:
        return
    video.status = VideoStatus.ERROR
    video.error_reason = job.error or "Processing failed."
    video.save(update_fields=["status", "error_reason", "updated_at"])
    logger.info("video error video_id=%s job_id=%s: %s", video.pk, job.pk, video.error_reason)
    signals.video_failed.send(sender=Video, video=video)


def video_processing_cancelled(job: ProcessingJob) -> None:
    """Put the job's video back to `ready` if it has renditions, else to `error`.

    The `on_cancelled` hook of `video_process`: runs in the transaction that cancels it.
    """
    video = _video_waiting_on(job)
    if video is None:
        return
    if video.mp4_key and video.proxy_key and video.thumbnail_key:
        video.status, video.error_reason = VideoStatus.READY, ""
    else:
        video.status, video.error_reason = VideoStatus.ERROR, CANCELLED_REASON
    video.save(update_fields=["status", "error_reason", "updated_at"])
    logger.info("video processing cancelled video_id=%s job_id=%s", video.pk, job.pk)
