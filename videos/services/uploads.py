"""Creating videos: validate the upload, store the original, start the processing job.

Files before rows: the original is written to storage (possibly a long S3 PUT or copy)
before, and outside, the transaction that writes the row pointing at it. If the process
dies in between, the file has no row; `video_orphans_sweep` removes it later.

A resumable upload (tus or S3 multipart) is a video from its first request: `uploading`,
with `bytes_received` counting up (`video_upload_begin` / `video_upload_progress`), then
`processing` once its original is stored (`video_upload_finish`), or gone when the upload
is terminated or expires (`video_upload_abandon`).
"""

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial

from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

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


@dataclass(frozen=True)
class StoredOriginal:
    """An accepted upload, already in storage at `key`, waiting for its video row."""

    video_id: uuid.UUID
    key: str
    checked: CheckedUpload


def video_original_store(
    *, file: File, filename: str, video_id: uuid.UUID | None = None
) -> StoredOriginal:
    """Check an upload and write it to `originals/{id}{ext}`; call outside a transaction.

    Raises UploadRejected (400, or 413 for size) and then stores nothing. The file is
    streamed to storage (a rename for local storage when it is a temporary upload).
    """
    checked = check_upload(file=file, size=file.size, filename=filename)
    video_id = video_id or uuid.uuid4()
    key = storage.original_key(video_id, checked.extension)
    with _removed_on_failure(key):
        storage.save_upload(key, file)
    return StoredOriginal(video_id=video_id, key=key, checked=checked)


def video_original_adopt(
    *, key: str, filename: str, video_id: uuid.UUID | None = None
) -> StoredOriginal:
    """Check a file already in storage (an S3 multipart upload) and copy it into place.

    Reads only the head of the object. On rejection the object at `key` is left to the
    caller; once a video row points at the copy, the caller deletes `key`.
    """
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
    checked = _check_stored(key, filename=filename, extension=extension)
    video_id = video_id or uuid.uuid4()
    dest = storage.original_key(video_id, extension)
    with _removed_on_failure(dest):
        storage.copy(key, dest)
    return StoredOriginal(video_id=video_id, key=dest, checked=checked)


def video_original_check_stored(*, key: str, filename: str, video_id: uuid.UUID) -> StoredOriginal:
    """Check a file already stored at its video's original key (a tus upload joined on S3).

    Reads only the head of the object. On rejection the object is left to the caller.
    """
    extension = check_extension(filename)
    if key != storage.original_key(video_id, extension):
        raise ValueError(f"{key!r} is not the original key of video {video_id}.")
    checked = _check_stored(key, filename=filename, extension=extension)
    return StoredOriginal(video_id=video_id, key=key, checked=checked)


def _check_stored(key: str, *, filename: str, extension: str) -> CheckedUpload:
    """Check the size and the head of a file already in storage (reads only its head)."""
    with storage.storage_errors():
        size = check_size(default_storage.size(key))
        container = check_content(storage.read_head(key, SNIFF_BYTES))
    return CheckedUpload(
        extension=extension, container=container, size=size, filename=clean_filename(filename)
    )


@contextmanager
def _removed_on_failure(key: str) -> Iterator[None]:
    """Write to storage at `key` in the block; if anything fails, delete what was written."""
    try:
        with storage.storage_errors():
            yield
    except BaseException:
        storage.delete_quietly(key)
        raise


def video_original_discard(original: StoredOriginal) -> None:
    """Remove a stored original that no video row will point at."""
    storage.delete_quietly(original.key)


def video_create(
    *,
    owner: AbstractBaseUser,
    file: File,
    filename: str,
    title: str,
    description: str = "",
) -> Video:
    """Validate an upload, store it as `originals/{id}{ext}` and start its processing job.

    Raises UploadRejected (400, or 413 for size) and then leaves no row and no file.
    """
    title = check_title(title)
    original = video_original_store(file=file, filename=filename)
    return _created_or_discarded(original, owner=owner, title=title, description=description)


def video_create_from_storage(
    *,
    owner: AbstractBaseUser,
    key: str,
    filename: str,
    title: str,
    description: str = "",
    video_id: uuid.UUID | None = None,
) -> Video:
    """Make a video of a file already in storage at `key`; delete `key` once it is committed."""
    title = check_title(title)
    original = video_original_adopt(key=key, filename=filename, video_id=video_id)
    video = _created_or_discarded(original, owner=owner, title=title, description=description)
    transaction.on_commit(partial(storage.delete_quietly, key))
    return video


def _created_or_discarded(
    original: StoredOriginal, *, owner: AbstractBaseUser, title: str, description: str
) -> Video:
    try:
        return video_create_from_original(
            owner=owner, original=original, title=title, description=description
        )
    except BaseException:
        video_original_discard(original)
        raise


@transaction.atomic
def video_create_from_original(
    *,
    owner: AbstractBaseUser,
    original: StoredOriginal,
    title: str,
    description: str = "",
) -> Video:
    """Write the row of a video whose original is stored, and start its processing job."""
    video = Video(
        id=original.video_id,
        owner=owner,
        title=title,
        description=description,
        original_filename=original.checked.filename,
    )
    return _start_processing(video, original, created=True)


@transaction.atomic
def video_upload_begin(
    *,
    owner: AbstractBaseUser,
    filename: str,
    size: int,
    title: str,
    description: str = "",
    video_id: uuid.UUID | None = None,
) -> Video:
    """Create the video of a resumable upload: `uploading`, nothing received yet."""
    video = Video.objects.create(
        id=video_id or uuid.uuid4(),
        owner=owner,
        title=title,
        description=description,
        status=VideoStatus.UPLOADING,
        original_filename=clean_filename(filename),
        original_size=size,
    )
    logger.info("video uploading video_id=%s size=%s", video.pk, size)
    return video


def video_upload_progress(*, video_id: uuid.UUID | str, received: int) -> None:
    """Record how many bytes of an uploading video have arrived."""
    Video.objects.filter(pk=video_id, status=VideoStatus.UPLOADING).update(
        bytes_received=received, updated_at=timezone.now()
    )


@transaction.atomic
def video_upload_finish(*, video_id: uuid.UUID | str, original: StoredOriginal) -> Video:
    """Attach the stored original to an uploading video and start its processing job.

    Raises UploadRejected when the video was deleted (or finished) meanwhile.
    """
    video = Video.objects.select_for_update().filter(pk=video_id).first()
    if video is None or video.status != VideoStatus.UPLOADING:
        raise UploadRejected(
            "The video this upload was for was deleted; start a new upload.",
            code="video_deleted",
        )
    return _start_processing(video, original, created=False)


def video_upload_fail(*, video_id: uuid.UUID | str | None, reason: str) -> None:
    """Put an uploading video in `error` with the reason its upload was refused."""
    if video_id is None:
        return
    Video.objects.filter(pk=video_id, status=VideoStatus.UPLOADING).update(
        status=VideoStatus.ERROR, error_reason=reason, updated_at=timezone.now()
    )


def video_upload_abandon(*, video_id: uuid.UUID | str | None) -> None:
    """Delete the video of an upload that was terminated or expired (it has no files)."""
    if video_id is None:
        return
    for video in Video.objects.filter(pk=video_id, status=VideoStatus.UPLOADING):
        video.files_deleted = True  # an original stored just before is swept as an orphan
        video.delete()
        logger.info("uploading video removed video_id=%s", video_id)


def _start_processing(video: Video, original: StoredOriginal, *, created: bool) -> Video:
    """Point the video at its original, mark it processing and create its job."""
    checked = original.checked
    video.original_key = original.key
    video.original_size = checked.size
    video.bytes_received = checked.size
    video.container = checked.container
    video.status = VideoStatus.PROCESSING
    video.error_reason = ""
    video.current_job = job_create(
        job_type=VIDEO_PROCESS_JOB,
        params={"video_id": str(video.pk)},
        created_by=video.owner,
        target=video,
    )
    video.save(force_insert=created)
    logger.info(
        "video created video_id=%s job_id=%s size=%s container=%s",
        video.pk,
        video.current_job_id,
        checked.size,
        checked.container,
    )
    return video
