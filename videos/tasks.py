"""Job types of the videos app: processing, thumbnails, and cleaning up after both."""

import logging
from typing import Any

from celery import shared_task
from django.conf import settings

from jobs.base_task import job_task
from jobs.errors import JobStateError
from jobs.progress import JobRun
from videos.media import workdirs
from videos.models import Video
from videos.services import (
    orphans,  # noqa: F401  (registers the videos folders to sweep)
    video_process,
    video_processing_cancelled,
    video_processing_failed,
    video_thumbnail_make,
    video_thumbnail_request,
)
from videos.services.editing import video_files_delete
from videos.services.thumbnails import THUMBNAIL_JOB, ThumbnailTimeOutOfRange
from videos.storage import StorageUnavailable

logger = logging.getLogger(__name__)

# What the jobs that run ffmpeg on a video share: their queue, time limits and retries
# while storage is unreachable.
_FFMPEG_JOB_OPTIONS: dict[str, Any] = {
    "queue": "video_processing",
    "max_attempts": 3,
    "soft_time_limit": settings.VIDEO_TASK_SOFT_TIME_LIMIT,
    "time_limit": settings.VIDEO_TASK_TIME_LIMIT,
    "retry_for": (StorageUnavailable,),
    "retry_backoff_seconds": lambda: settings.VIDEO_STORAGE_RETRY_BACKOFF_SECONDS,
}


@job_task(
    job_type="video_process",
    name="videos.process_video",
    **_FFMPEG_JOB_OPTIONS,
    on_failed=video_processing_failed,
    on_cancelled=video_processing_cancelled,
    description="Probe and transcode an uploaded video into an MP4, a proxy and a thumbnail.",
)
def process_video(run: JobRun) -> dict[str, Any]:
    """Process the job's target video."""
    return video_process(run=run)


@job_task(
    job_type="video_delete_files",
    name="videos.cleanup.delete_files",
    queue="low_priority",
    max_attempts=5,
    retry_for=(StorageUnavailable,),
    description="Delete the stored files of a video whose row was deleted.",
)
def delete_video_files(run: JobRun) -> dict[str, Any]:
    """Delete the files named in the job's params."""
    keys = video_files_delete(video_id=run.params["video_id"], keys=run.params.get("keys", []))
    return {"deleted": keys}


@job_task(
    job_type="video_work_dirs_sweep",
    name="videos.cleanup.sweep_work_dirs",
    queue="video_processing",
    max_attempts=1,
    description="Remove the work folders of video jobs whose worker process died.",
)
def sweep_work_dirs(run: JobRun) -> dict[str, Any]:
    """Remove abandoned video work folders on this host."""
    return {"removed": workdirs.sweep()}


@job_task(
    job_type=THUMBNAIL_JOB,
    name="videos.thumbnail",
    **_FFMPEG_JOB_OPTIONS,
    description="Make a video's thumbnail from the frame at a chosen time.",
)
def make_thumbnail(run: JobRun) -> dict[str, Any]:
    """Make the thumbnail the job asks for."""
    return video_thumbnail_make(run=run)


# Only writes a job row: it must not wait behind encodes on video_processing.
@shared_task(name="videos.generate_thumbnail", queue="default", acks_late=True, ignore_result=True)
def generate_thumbnail(video_id: str, timestamp: float) -> dict[str, Any]:
    """Seed 004's entry point: start a `video_thumbnail` job for the frame at `timestamp` s."""
    video = Video.objects.filter(pk=video_id).first()
    if video is None:
        logger.warning("generate_thumbnail: no video %s", video_id)
        return {"video_id": video_id, "error": "no such video"}
    try:
        job = video_thumbnail_request(video=video, at_seconds=float(timestamp), requested_by=None)
    except (JobStateError, ThumbnailTimeOutOfRange) as exc:
        logger.warning("generate_thumbnail refused video_id=%s: %s", video_id, exc)
        return {"video_id": video_id, "error": str(exc)}
    return {"video_id": video_id, "job_id": str(job.pk)}
