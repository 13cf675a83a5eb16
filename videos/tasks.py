"""Job types of the videos app: the processing pipeline and the cleanup of orphaned files."""

from typing import Any

from django.conf import settings

from jobs.progress import JobRun
from jobs.registry import job_task
from videos.media import workdirs
from videos.services import video_process, video_processing_cancelled, video_processing_failed
from videos.services.editing import video_files_delete
from videos.storage import StorageUnavailable


@job_task(
    job_type="video_process",
    name="videos.process_video",
    queue="video_processing",
    max_attempts=3,
    soft_time_limit=settings.VIDEO_TASK_SOFT_TIME_LIMIT,
    time_limit=settings.VIDEO_TASK_TIME_LIMIT,
    retry_for=(StorageUnavailable,),
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
