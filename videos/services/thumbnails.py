"""A thumbnail at a chosen time: request it (a job), make it, point the video at it.

The frame is grabbed from the video's own MP4 rendition (upright, H.264, ours) and stored
under a new key, `processed/{id}/thumbnail-<job>.jpg`, so the new `thumbnail_url` is a
new URL that no browser has cached. The chosen time is kept on the video, so a reprocess
makes its thumbnail at the same moment.
"""

import logging
import uuid
from functools import partial
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from config.errors import InvalidRequest
from jobs.errors import JobStateError, PermanentJobError
from jobs.models import ProcessingJob
from jobs.progress import JobRun
from jobs.services import job_create
from videos import selectors, storage
from videos.media import MediaError, workdirs
from videos.media.frames import extract_frame
from videos.models import Video, VideoStatus

logger = logging.getLogger(__name__)

THUMBNAIL_JOB = "video_thumbnail"


class ThumbnailTimeOutOfRange(InvalidRequest):
    """The requested time is not inside the video."""

    def __init__(self, message: str) -> None:
        super().__init__(errors={"at_seconds": [message]})


def custom_thumbnail_key(video_id: uuid.UUID | str, job_id: uuid.UUID | str) -> str:
    """Return the key of a thumbnail chosen by a job."""
    return f"{storage.processed_dir(video_id)}/thumbnail-{str(job_id)[:8]}.jpg"


@transaction.atomic
def video_thumbnail_request(
    *, video: Video, at_seconds: float, requested_by: AbstractBaseUser | None
) -> ProcessingJob:
    """Start a job that makes the video's thumbnail from the frame at `at_seconds`.

    Raises ThumbnailTimeOutOfRange for a time outside the video and JobStateError while
    the video isn't ready or another job is changing it.
    """
    video = Video.objects.select_for_update().get(pk=video.pk)
    if video.status != VideoStatus.READY or not video.mp4_key or not video.duration:
        raise JobStateError(
            f"The video is {video.status}; a thumbnail can be chosen once it is ready."
        )
    if not 0 <= at_seconds < video.duration:
        raise ThumbnailTimeOutOfRange(
            f"at_seconds must be at least 0 and less than {video.duration:g} "
            "(the video's length in seconds)."
        )
    for job_type in ("video_process", THUMBNAIL_JOB):
        active = selectors.video_active_job(video=video, job_type=job_type)
        if active is not None:
            raise JobStateError(
                f"The video is busy (job {active.pk} is {active.status}); try again when it ends."
            )
    job = job_create(
        job_type=THUMBNAIL_JOB,
        params={"video_id": str(video.pk), "at_seconds": at_seconds},
        created_by=requested_by,
        target=video,
    )
    logger.info(
        "video thumbnail requested video_id=%s job_id=%s at=%s", video.pk, job.pk, at_seconds
    )
    return job


def video_thumbnail_make(*, run: JobRun) -> dict[str, Any]:
    """Grab the frame, store it under a new key, then point the video at it."""
    video_id, at = run.params["video_id"], float(run.params["at_seconds"])
    video = Video.objects.filter(pk=video_id).first()
    if video is None or not video.mp4_key:
        raise PermanentJobError("The video was deleted or has no MP4 to take a frame from.")
    key = custom_thumbnail_key(video.pk, run.job_id)
    workdirs.sweep()
    with workdirs.work_dir(f"{video.pk}-thumbnail") as workdir:
        run.progress(10, "Fetching the video", force=True)
        with storage.storage_errors():
            source = storage.fetch(video.mp4_key, workdir)
        run.progress(40, f"Taking the frame at {at:g} s", force=True)
        try:
            frame = extract_frame(source, workdir / "thumbnail.jpg", at=at)
        except MediaError as exc:
            raise PermanentJobError(str(exc)) from exc
        run.progress(80, "Storing the thumbnail", force=True)
        with storage.storage_errors():
            storage.put_file(key, frame)  # before the row points at it, outside any lock
    if not _point_at(video_id=video.pk, key=key, at=at, mp4_key=video.mp4_key):
        storage.delete_quietly(key)  # nothing points at it
        raise PermanentJobError("The video changed while its thumbnail was made; try again.")
    return {"video_id": str(video.pk), "thumbnail": key, "at_seconds": at}


def _point_at(*, video_id: Any, key: str, at: float, mp4_key: str) -> bool:
    """Make `key` the video's thumbnail if the video still has that MP4; drop the old file."""
    with transaction.atomic():
        video = Video.objects.select_for_update().filter(pk=video_id).first()
        if video is None or video.mp4_key != mp4_key or video.status != VideoStatus.READY:
            return False
        old = video.thumbnail_key
        video.thumbnail_key, video.thumbnail_at = key, at
        video.save(update_fields=["thumbnail_key", "thumbnail_at", "updated_at"])
        if old and old != key:
            transaction.on_commit(partial(storage.delete_quietly, old))
    logger.info("video thumbnail set video_id=%s key=%s at=%s", video_id, key, at)
    return True
