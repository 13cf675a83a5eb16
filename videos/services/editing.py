"""Changing and deleting videos."""

import logging
import uuid
from contextlib import suppress

from django.db import transaction

from config.errors import InvalidRequest
from jobs.errors import JobStateError
from jobs.services import job_cancel
from videos import selectors, storage
from videos.models import Video

logger = logging.getLogger(__name__)


@transaction.atomic
def video_update(
    *, video: Video, title: str | None = None, description: str | None = None
) -> Video:
    """Change a video's title and/or description."""
    fields = []
    if title is not None:
        title = title.strip()
        if not title:
            raise InvalidRequest(errors={"title": ["The title can't be blank."]})
        video.title = title
        fields.append("title")
    if description is not None:
        video.description = description
        fields.append("description")
    if fields:
        video.save(update_fields=[*fields, "updated_at"])
    return video


def video_delete(*, video: Video) -> None:
    """Cancel the video's active jobs, delete all its files, then the row.

    Files first, and outside any transaction or row lock (deleting from S3 is network
    I/O): if the storage fails, the row stays and the delete can be repeated. A file a
    still-running job stores meanwhile has no row afterwards; the orphan sweep removes it.
    """
    with transaction.atomic():
        video = Video.objects.select_for_update().filter(pk=video.pk).first()
        if video is None:
            return
        for job in selectors.video_jobs(video=video).filter(
            status__in=selectors.ACTIVE_JOB_STATUSES
        ):
            with suppress(JobStateError):  # it finished meanwhile
                job_cancel(job=job)  # a running transcode stops at its next checkpoint
    known = [video.original_key, video.mp4_key, video.proxy_key, video.thumbnail_key]
    known += [video.hls_key, video.storyboard_key]
    with storage.storage_errors():
        storage.delete_files(video.pk, known)
    with transaction.atomic():
        for row in Video.objects.select_for_update().filter(pk=video.pk):
            row.files_deleted = True  # tells the post_delete receiver there is nothing left
            row.delete()
    logger.info("video deleted video_id=%s", video.pk)


def video_files_delete(*, video_id: uuid.UUID | str, keys: list[str]) -> list[str]:
    """Delete the files of a video whose row is already gone; return the keys removed."""
    with storage.storage_errors():
        return storage.delete_files(video_id, keys)
