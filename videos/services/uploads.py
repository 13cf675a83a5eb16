"""Creating videos: validate the upload, store the original, start the processing job."""

import logging
import uuid
from collections.abc import Callable
from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction

from jobs.services import job_create
from videos import storage
from videos.media import SNIFF_BYTES
from videos.models import Video, VideoStatus
from videos.validation import (
    CheckedUpload,
    UploadRejected,
    check_content,
    check_extension,
    check_size,
    check_title,
    check_upload,
    clean_filename,
)

logger = logging.getLogger(__name__)

VIDEO_PROCESS_JOB = "video_process"


def video_create(
    *,
    owner: AbstractBaseUser,
    file: File,
    filename: str,
    title: str,
    description: str = "",
) -> Video:
    """Validate an upload, store it as `originals/{id}{ext}` and start its processing job.

    Raises UploadRejected (400, or 413 for size) and then leaves no row and no file. The
    file is streamed to storage (a rename for local storage when it is a temporary
    upload), never read into memory.
    """
    title = check_title(title)
    checked = check_upload(file=file, size=file.size, filename=filename)
    video_id = uuid.uuid4()
    key = storage.original_key(video_id, checked.extension)
    try:
        video = _create(
            video_id=video_id,
            owner=owner,
            key=key,
            checked=checked,
            title=title,
            description=description,
            store=partial(storage.save_upload, key, file),
        )
    except BaseException:
        _delete_quietly(key)
        raise
    return video


def video_create_from_storage(
    *,
    owner: AbstractBaseUser,
    key: str,
    filename: str,
    title: str,
    description: str = "",
    video_id: uuid.UUID | None = None,
) -> Video:
    """Make a video of a file already in storage (e.g. an S3 multipart upload) at `key`.

    Checks size and content by reading only the head, copies the object to
    `originals/{id}{ext}` and deletes `key` once the video is committed. On rejection
    the object at `key` is left to the caller. `video_id` is the id to give the video
    when the caller promised one in advance; no video may have it yet.
    """
    title = check_title(title)
    if storage.is_managed_key(key):
        raise UploadRejected(
            "That storage key can't be adopted as a new video's original.", code="invalid_key"
        )
    extension = check_extension(filename)
    with storage.storage_errors():
        if not default_storage.exists(key):
            raise UploadRejected(
                "No uploaded file was found in storage at that key.", code="missing_file"
            )
        size = check_size(default_storage.size(key))
        container = check_content(storage.read_head(key, SNIFF_BYTES))
    checked = CheckedUpload(
        extension=extension, container=container, size=size, filename=clean_filename(filename)
    )
    video_id = video_id or uuid.uuid4()
    dest = storage.original_key(video_id, extension)
    try:
        video = _create(
            video_id=video_id,
            owner=owner,
            key=dest,
            checked=checked,
            title=title,
            description=description,
            store=partial(storage.copy, key, dest),
        )
    except BaseException:
        _delete_quietly(dest)
        raise
    transaction.on_commit(partial(_delete_quietly, key))
    return video


@transaction.atomic
def _create(
    *,
    video_id: uuid.UUID,
    owner: AbstractBaseUser,
    key: str,
    checked: CheckedUpload,
    title: str,
    description: str,
    store: Callable[[], None],
) -> Video:
    """Insert the row, store the original, then mark it processing with its job."""
    video = Video.objects.create(
        id=video_id,
        owner=owner,
        title=title,
        description=description,
        status=VideoStatus.UPLOADING,
        original_filename=checked.filename,
        original_size=checked.size,
        container=checked.container,
    )
    with storage.storage_errors():
        store()
    video.original_key = key
    video.status = VideoStatus.PROCESSING
    video.current_job = job_create(
        job_type=VIDEO_PROCESS_JOB,
        params={"video_id": str(video.pk)},
        created_by=owner,
        target=video,
    )
    video.save(update_fields=["original_key", "status", "current_job", "updated_at"])
    logger.info(
        "video created video_id=%s job_id=%s size=%s container=%s",
        video.pk,
        video.current_job_id,
        checked.size,
        checked.container,
    )
    return video


def _delete_quietly(key: str) -> None:
    """Remove a stored file, logging (not raising) when the storage refuses."""
    try:
        default_storage.delete(key)
    except Exception:
        logger.warning("could not delete %s from storage", key, exc_info=True)
