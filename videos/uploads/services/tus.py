"""tus uploads: create one, append chunks, turn the last byte into a video, terminate, expire.

Where the bytes go is decided when the upload is created: a local partial file
(`videos.uploads.partials`, one web host) or, with S3 storage, S3 multipart parts with
their state in the row (`videos.uploads.tus_s3`, any web host).
"""

import logging
import uuid
from collections.abc import Callable
from functools import partial
from pathlib import PurePath

from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from config.errors import Missing
from videos import storage
from videos.models import DESCRIPTION_MAX_LENGTH
from videos.services import (
    video_original_check_stored,
    video_original_discard,
    video_original_store,
    video_upload_begin,
    video_upload_progress,
)
from videos.services.uploads import StoredOriginal
from videos.storage import StorageUnavailable
from videos.uploads import partials, s3, tus_s3
from videos.uploads.expiry import upload_expiry
from videos.uploads.models import TusUpload, UploadStatus
from videos.uploads.services.quotas import upload_sessions_quota_check
from videos.uploads.services.sessions import session_check, session_fail, session_finish
from videos.validation import (
    UploadBusy,
    UploadConflict,
    UploadError,
    UploadGone,
    UploadRejected,
    UploadTooLarge,
    clean_filename,
)

logger = logging.getLogger(__name__)


def upload_busy() -> UploadError:
    return UploadBusy(
        "Another request is writing to this upload; retry in a few seconds.",
        code="upload_locked",
    )


def upload_gone(upload: TusUpload) -> UploadError | None:
    """Return the 410 for an upload that can take no more requests, or None if it is live."""
    if upload.status == UploadStatus.FAILED:
        message = f"This upload failed: {upload.error} Start a new upload."
        return UploadGone(message, code="upload_failed")
    if upload.status == UploadStatus.UPLOADING and upload.expires_at <= timezone.now():
        return UploadGone(
            "This upload expired before it was finished; start a new upload.",
            code="upload_expired",
        )
    return None


def tus_upload_create(
    *,
    owner: AbstractBaseUser,
    length: int,
    filename: str,
    title: str = "",
    description: str = "",
    metadata: str = "",
) -> TusUpload:
    """Start an upload of `length` bytes: check name and size, write the row and an empty
    file (local storage) or open an S3 multipart upload (S3 storage).

    The title defaults to the file name without its extension.
    """
    filename = clean_filename(filename)
    if not filename:
        raise UploadRejected(
            "Name the file: send `filename` (base64) in Upload-Metadata.",
            code="filename_required",
        )
    filename, extension, title = session_check(
        filename=filename, size=length, title=title or PurePath(filename).stem
    )
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise UploadRejected(
            f"The description is {len(description)} characters; at most "
            f"{DESCRIPTION_MAX_LENGTH} are kept.",
            code="description_too_long",
        )
    on_s3 = s3.is_s3()
    video_id, key, s3_upload_id = uuid.uuid4(), "", ""
    if on_s3:
        # S3 is asked before the transaction (no network inside it): check the quota first.
        upload_sessions_quota_check(owner=owner, lock=False)
        try:
            key, s3_upload_id = tus_s3.open_upload(
                video_id=video_id, extension=extension, filename=filename
            )
        except s3.S3Refused as exc:
            raise UploadRejected(
                f"S3 refused to start the upload: {exc.message} ({exc.code})", code="s3_refused"
            ) from exc
    try:
        with transaction.atomic():
            upload_sessions_quota_check(owner=owner)
            video = video_upload_begin(
                owner=owner,
                filename=filename,
                size=length,
                title=title,
                description=description,
                video_id=video_id,
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
                s3_key=key,
                s3_upload_id=s3_upload_id,
            )
            if not on_s3:
                # If the transaction rolls back, the empty file is an orphan the expiry
                # sweep removes.
                partials.create(upload.pk)
    except BaseException:
        if on_s3:
            s3.abort_upload(key, s3_upload_id)
        raise
    logger.info(
        "tus upload created upload_id=%s owner_id=%s length=%s s3=%s",
        upload.pk,
        owner.pk,
        length,
        on_s3,
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
    if offset + nbytes > upload.length:
        raise _past_the_end(offset, nbytes, upload.length)
    if upload.on_s3:
        return _append_s3(upload, offset=offset, read=read, nbytes=nbytes)
    try:
        with partials.locked(upload.pk) as fd:
            received = partials.locked_size(fd)
            if offset != received:
                raise _offset_mismatch(offset, received)
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


def _append_s3(
    upload: TusUpload, *, offset: int, read: Callable[[int], bytes], nbytes: int
) -> TusUpload:
    """Append to an upload kept on S3, under a claim on its row (any web host may serve)."""
    try:
        token = tus_s3.claim(upload.pk, offset=offset)
    except tus_s3.NotClaimed:
        return _not_claimed(upload, offset=offset, nbytes=nbytes)
    try:
        writer = tus_s3.Writer(upload, token, on_progress=_s3_progress)
        written = writer.append(read, nbytes)
        writer.close()
        upload = writer.upload
        logger.info(
            "tus chunk stored upload_id=%s offset=%s written=%s pending=%s",
            upload.pk,
            offset,
            written,
            upload.s3_pending,
        )
        if upload.offset == upload.length:
            upload = _complete(upload)
    except tus_s3.ClaimLost:
        raise UploadConflict(
            "Another request took this upload over; send a HEAD request and resume from "
            "its Upload-Offset.",
            code="upload_taken_over",
        ) from None
    except (tus_s3.DataLost, s3.S3Refused) as exc:
        logger.warning("tus upload lost upload_id=%s: %s", upload.pk, exc)
        _fail(upload, "The server lost the data received so far.")
        upload.refresh_from_db()
        raise upload_gone(upload) or Missing("No such upload.") from exc
    finally:
        tus_s3.release(upload.pk, token)
    return upload


def _s3_progress(upload: TusUpload) -> None:
    video_upload_progress(video_id=upload.video_id, received=upload.offset)


def _not_claimed(upload: TusUpload, *, offset: int, nbytes: int) -> TusUpload:
    """Answer a PATCH that could not claim its upload: finished, gone, busy or elsewhere."""
    if _reload(upload):
        return _replay(upload, offset=offset, nbytes=nbytes)
    gone = upload_gone(upload)
    if gone is not None:
        raise gone
    if tus_s3.is_busy(upload):
        raise upload_busy()
    if upload.status != UploadStatus.UPLOADING:
        raise Missing("No such upload.")
    raise _offset_mismatch(offset, upload.offset)


def _reload(upload: TusUpload) -> bool:
    """Re-read the upload's row (404 if it was deleted); True if it is completed."""
    try:
        upload.refresh_from_db()
    except TusUpload.DoesNotExist:
        raise Missing("No such upload.") from None
    return upload.status == UploadStatus.COMPLETED


def _past_the_end(offset: int, nbytes: int, length: int) -> UploadError:
    return UploadTooLarge(
        f"This chunk would end at byte {offset + nbytes}, past the upload's "
        f"length of {length} bytes.",
        code="chunk_too_large",
    )


def _offset_mismatch(offset: int, received: int) -> UploadError:
    return UploadConflict(
        f"Upload-Offset is {offset} but the server has {received} bytes; "
        "send a HEAD request and resume from its Upload-Offset.",
        code="offset_mismatch",
    )


def _replay(upload: TusUpload, *, offset: int, nbytes: int) -> TusUpload:
    """Answer a PATCH to a completed upload: an empty one at the end is a harmless retry."""
    if offset == upload.length and nbytes == 0:
        return upload
    raise _offset_mismatch(offset, upload.length)


def _without_partial(upload: TusUpload, *, offset: int, nbytes: int) -> TusUpload:
    """Answer a PATCH whose partial file vanished: finished meanwhile, deleted, or lost."""
    if _reload(upload):
        return _replay(upload, offset=offset, nbytes=nbytes)
    if upload.status == UploadStatus.UPLOADING:
        _fail(upload, "The server lost the data received so far.")
        upload.refresh_from_db()
    raise upload_gone(upload) or Missing("No such upload.")


def _record_offset(upload: TusUpload, received: int) -> TusUpload:
    """Store the bytes received (from the file's size) and push the expiry back."""
    now = timezone.now()
    updated = TusUpload.objects.filter(pk=upload.pk, status=UploadStatus.UPLOADING).update(
        offset=received, expires_at=upload_expiry(now), updated_at=now
    )
    if not updated:
        raise Missing("No such upload.")
    video_upload_progress(video_id=upload.video_id, received=received)
    upload.offset, upload.expires_at, upload.updated_at = received, upload_expiry(now), now
    return upload


def _complete(upload: TusUpload) -> TusUpload:
    """Store the assembled file as the video's original, then mark the video processing.

    Runs under the partial file's lock (or the S3 claim), so no other request completes it
    meanwhile. The file is stored before (and outside) the transaction that points the
    video at it; a rejected file fails the upload, puts its video in `error` and is removed.
    """
    try:
        original = _store_original(upload)
    except UploadError as exc:
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
            session_finish(locked, original)
            if not locked.on_s3:
                transaction.on_commit(partial(partials.remove, locked.pk))
    except UploadError as exc:
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


def _store_original(upload: TusUpload) -> StoredOriginal:
    """Local: copy the partial file into storage. S3: join the parts where they are."""
    if not upload.on_s3:
        with partials.partial_path(upload.pk).open("rb") as f:
            return video_original_store(
                file=File(f, name=upload.filename),
                filename=upload.filename,
                video_id=upload.video_id,
            )
    if upload.video_id is None:
        raise UploadRejected(
            "The video this upload was for was deleted; start a new upload.",
            code="video_deleted",
        )
    try:
        tus_s3.complete(upload)
    except tus_s3.DataLost as exc:
        raise UploadRejected(
            f"The server lost the data received so far ({exc}); start a new upload.",
            code="upload_lost",
        ) from exc
    try:
        return video_original_check_stored(
            key=upload.s3_key, filename=upload.filename, video_id=upload.video_id
        )
    except UploadError:
        storage.delete_quietly(upload.s3_key)
        raise


def _fail(upload: TusUpload, error: str) -> None:
    """Mark the upload (and its video) failed with a reason and remove its data."""
    session_fail(upload, error)
    partials.remove(upload.pk)
    if upload.on_s3:
        _discard_quietly(upload.pk, upload.s3_key, upload.s3_upload_id)
    logger.info("tus upload failed upload_id=%s error=%s", upload.pk, error)


def _discard_quietly(upload_id: uuid.UUID, key: str, s3_upload_id: str) -> None:
    """Abort an upload's S3 parts; if S3 can't be reached, the expiry sweep does it later."""
    try:
        tus_s3.discard(upload_id, key, s3_upload_id)
    except (StorageUnavailable, s3.S3Refused):
        logger.warning("could not abort the S3 parts of upload_id=%s", upload_id, exc_info=True)
