"""tus uploads: create one, append chunks, turn the last byte into a video, terminate, expire."""

import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import NotFound

from videos.models import DESCRIPTION_MAX_LENGTH
from videos.services import (
    video_original_discard,
    video_original_store,
    video_upload_abandon,
    video_upload_begin,
    video_upload_fail,
    video_upload_finish,
    video_upload_progress,
)
from videos.uploads import partials
from videos.uploads.models import TusUpload, UploadStatus
from videos.uploads.services.quotas import upload_sessions_quota_check
from videos.validation import (
    UploadRejected,
    check_extension,
    check_size,
    check_title,
    clean_filename,
)

logger = logging.getLogger(__name__)


def upload_expiry(now: datetime | None = None) -> datetime:
    """Return when an upload touched at `now` expires."""
    return (now or timezone.now()) + timedelta(hours=settings.TUS_UPLOAD_EXPIRE_HOURS)


def upload_busy() -> UploadRejected:
    return UploadRejected(
        "Another request is writing to this upload; retry in a few seconds.",
        status_code=status.HTTP_423_LOCKED,
        code="upload_locked",
    )


def upload_gone(upload: TusUpload) -> UploadRejected | None:
    """Return the 410 for an upload that can take no more requests, or None if it is live."""
    if upload.status == UploadStatus.FAILED:
        message = f"This upload failed: {upload.error} Start a new upload."
        return UploadRejected(message, status_code=status.HTTP_410_GONE, code="upload_failed")
    if upload.status == UploadStatus.UPLOADING and upload.expires_at <= timezone.now():
        return UploadRejected(
            "This upload expired before it was finished; start a new upload.",
            status_code=status.HTTP_410_GONE,
            code="upload_expired",
        )
    return None


@transaction.atomic
def tus_upload_create(
    *,
    owner: AbstractBaseUser,
    length: int,
    filename: str,
    title: str = "",
    description: str = "",
    metadata: str = "",
) -> TusUpload:
    """Start an upload of `length` bytes: check name and size, write the row and an empty file.

    The title defaults to the file name without its extension.
    """
    filename = clean_filename(filename)
    if not filename:
        raise UploadRejected(
            "Name the file: send `filename` (base64) in Upload-Metadata.",
            code="filename_required",
        )
    check_extension(filename)
    check_size(length)
    title = check_title(title or PurePath(filename).stem)
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise UploadRejected(
            f"The description is {len(description)} characters; at most "
            f"{DESCRIPTION_MAX_LENGTH} are kept.",
            code="description_too_long",
        )
    upload_sessions_quota_check(owner=owner)
    video = video_upload_begin(
        owner=owner, filename=filename, size=length, title=title, description=description
    )
    upload = TusUpload.objects.create(
        owner=owner,
        filename=filename,
        title=title,
        description=description,
        length=length,
        metadata=metadata,
        expires_at=upload_expiry(),
        video=video,
    )
    # If the transaction rolls back, the empty file is an orphan the expiry sweep removes.
    partials.create(upload.pk)
    logger.info(
        "tus upload created upload_id=%s owner_id=%s length=%s", upload.pk, owner.pk, length
    )
    return upload


def tus_upload_append(
    *, upload: TusUpload, offset: int, read: Callable[[int], bytes], nbytes: int
) -> TusUpload:
    """Append a PATCH body of `nbytes` at `offset`; on the last byte, make the video.

    Not one transaction on purpose: the partial file's lock (a concurrent PATCH gets 423)
    is held while a slow client sends its chunk, the database's write lock is not. Bytes
    that arrive before the client goes away are kept and counted.
    """
    gone = upload_gone(upload)
    if gone is not None:
        raise gone
    if upload.status == UploadStatus.COMPLETED:
        return _replay(upload, offset=offset, nbytes=nbytes)
    try:
        with partials.locked(upload.pk) as fd:
            received = partials.locked_size(fd)
            if offset != received:
                raise _offset_mismatch(offset, received)
            if offset + nbytes > upload.length:
                raise UploadRejected(
                    f"This chunk would end at byte {offset + nbytes}, past the upload's "
                    f"length of {upload.length} bytes.",
                    status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
                    code="chunk_too_large",
                )
            written = partials.append(fd, read, nbytes)
            upload = _record_offset(upload, partials.locked_size(fd))
            logger.info(
                "tus chunk stored upload_id=%s offset=%s written=%s", upload.pk, offset, written
            )
            if upload.offset == upload.length:
                upload = _complete(upload)
    except partials.PartialBusy:
        raise upload_busy() from None
    except partials.PartialMissing:
        return _without_partial(upload, offset=offset, nbytes=nbytes)
    return upload


def _offset_mismatch(offset: int, received: int) -> UploadRejected:
    return UploadRejected(
        f"Upload-Offset is {offset} but the server has {received} bytes; "
        "send a HEAD request and resume from its Upload-Offset.",
        status_code=status.HTTP_409_CONFLICT,
        code="offset_mismatch",
    )


def _replay(upload: TusUpload, *, offset: int, nbytes: int) -> TusUpload:
    """Answer a PATCH to a completed upload: an empty one at the end is a harmless retry."""
    if offset == upload.length and nbytes == 0:
        return upload
    raise _offset_mismatch(offset, upload.length)


def _without_partial(upload: TusUpload, *, offset: int, nbytes: int) -> TusUpload:
    """Answer a PATCH whose partial file vanished: finished meanwhile, deleted, or lost."""
    try:
        upload.refresh_from_db()
    except TusUpload.DoesNotExist:
        raise NotFound("No such upload.") from None
    if upload.status == UploadStatus.COMPLETED:
        return _replay(upload, offset=offset, nbytes=nbytes)
    if upload.status == UploadStatus.UPLOADING:
        _fail(upload, "The server lost the data received so far.")
        upload.refresh_from_db()
    raise upload_gone(upload) or NotFound("No such upload.")


def _record_offset(upload: TusUpload, received: int) -> TusUpload:
    """Store the bytes received (from the file's size) and push the expiry back."""
    now = timezone.now()
    updated = TusUpload.objects.filter(pk=upload.pk, status=UploadStatus.UPLOADING).update(
        offset=received, expires_at=upload_expiry(now), updated_at=now
    )
    if not updated:
        raise NotFound("No such upload.")
    video_upload_progress(video_id=upload.video_id, received=received)
    upload.offset, upload.expires_at, upload.updated_at = received, upload_expiry(now), now
    return upload


def _complete(upload: TusUpload) -> TusUpload:
    """Store the assembled file as the video's original, then mark the video processing.

    Runs under the partial file's lock, so no other request completes it meanwhile. The
    file is stored before (and outside) the transaction that points the video at it; a
    rejected file fails the upload, puts its video in `error` and is removed.
    """
    path = partials.partial_path(upload.pk)
    try:
        with path.open("rb") as f:
            original = video_original_store(
                file=File(f, name=upload.filename),
                filename=upload.filename,
                video_id=upload.video_id,
            )
    except UploadRejected as exc:
        _fail(upload, exc.message)
        raise
    try:
        with transaction.atomic():
            locked = TusUpload.objects.select_for_update().get(pk=upload.pk)
            if locked.status != UploadStatus.UPLOADING:
                return locked  # (the partial's lock makes this unreachable in practice)
            if locked.video_id is None:
                raise UploadRejected(
                    "The video this upload was for was deleted; start a new upload.",
                    code="video_deleted",
                )
            video = video_upload_finish(video_id=locked.video_id, original=original)
            locked.status = UploadStatus.COMPLETED
            locked.job_id = video.current_job_id
            locked.completed_at = timezone.now()
            locked.save(update_fields=["status", "job", "completed_at", "updated_at"])
            transaction.on_commit(partial(partials.remove, locked.pk))
    except UploadRejected as exc:
        video_original_discard(original)
        _fail(upload, exc.message)
        raise
    except BaseException:
        video_original_discard(original)
        raise
    logger.info(
        "tus upload completed upload_id=%s video_id=%s job_id=%s",
        locked.pk,
        locked.video_id,
        locked.job_id,
    )
    return locked


def _fail(upload: TusUpload, error: str) -> None:
    """Mark the upload (and its video) failed with a reason and remove its data."""
    TusUpload.objects.filter(pk=upload.pk, status=UploadStatus.UPLOADING).update(
        status=UploadStatus.FAILED, error=error, updated_at=timezone.now()
    )
    video_upload_fail(video_id=upload.video_id, reason=error)
    partials.remove(upload.pk)
    logger.info("tus upload failed upload_id=%s error=%s", upload.pk, error)


def tus_upload_terminate(*, upload: TusUpload) -> None:
    """Delete an upload, its partial data and its video (a completed upload's video stays)."""
    try:
        with partials.locked(upload.pk):
            _remove(upload.pk, upload.video_id)
    except partials.PartialBusy:
        raise upload_busy() from None
    except partials.PartialMissing:
        _remove(upload.pk, upload.video_id)
    logger.info("tus upload terminated upload_id=%s", upload.pk)


def _remove(upload_id: uuid.UUID, video_id: uuid.UUID | None) -> None:
    """Delete an upload's partial file, row and still-uploading video."""
    partials.remove(upload_id)
    TusUpload.objects.filter(pk=upload_id).delete()
    video_upload_abandon(video_id=video_id)


def tus_uploads_expire(*, now: datetime | None = None) -> dict[str, Any]:
    """Delete uploads past their expiry with their data and their uploading videos, and
    partial files nobody owns.

    An upload being written to right now is left for the next run.
    """
    now = now or timezone.now()
    expired = TusUpload.objects.filter(expires_at__lt=now).values_list("pk", "video_id")
    removed, busy = [], []
    for upload_id, video_id in list(expired):
        try:
            with partials.locked(upload_id):
                _remove(upload_id, video_id)
        except partials.PartialBusy:
            busy.append(str(upload_id))
            continue
        except partials.PartialMissing:
            _remove(upload_id, video_id)
        removed.append(str(upload_id))
    orphans = _remove_orphaned_partials(now)
    logger.info(
        "tus uploads expired removed=%s busy=%s orphans=%s", len(removed), len(busy), len(orphans)
    )
    return {"removed": removed, "busy": busy, "orphaned_files": orphans}


def _remove_orphaned_partials(now: datetime) -> list[str]:
    """Delete partial files older than the expiry period that belong to no upload."""
    cutoff = (now - timedelta(hours=settings.TUS_UPLOAD_EXPIRE_HOURS)).timestamp()
    removed = []
    for path in partials.stale_files(older_than=cutoff):
        try:
            upload_id = uuid.UUID(path.stem)
        except ValueError:
            upload_id = None
        if upload_id is not None and TusUpload.objects.filter(pk=upload_id).exists():
            continue
        path.unlink(missing_ok=True)
        removed.append(path.name)
    return removed
