"""S3 multipart uploads: the client PUTs parts to presigned URLs, then we make the video.

S3 calls happen outside database transactions on purpose: a transaction holds the
database's write lock (SQLite) or row locks, and must not wait on the network. Each step
is safe to repeat: completing twice returns the first result, aborting twice is a no-op.
"""

import logging
import mimetypes
import re
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from videos.models import Video
from videos.services import (
    video_original_adopt,
    video_original_discard,
    video_upload_abandon,
    video_upload_begin,
    video_upload_progress,
)
from videos.uploads import s3
from videos.uploads.expiry import upload_expiry, upload_expiry_cutoff
from videos.uploads.models import MultipartUpload, UploadStatus
from videos.uploads.selectors import multipart_uploaded_parts
from videos.uploads.services.quotas import upload_sessions_quota_check
from videos.uploads.services.sessions import session_check, session_fail, session_finish
from videos.validation import (
    UploadConflict,
    UploadError,
    UploadGone,
    UploadRejected,
    clean_filename,
)

logger = logging.getLogger(__name__)

STAGING_PREFIX = "uploads/multipart/"


@dataclass(frozen=True)
class PartUrl:
    part_number: int
    url: str
    size: int


def multipart_part_size(size: int) -> int:
    """Return the part size for a file: S3_MULTIPART_PART_SIZE within S3's rules."""
    return s3.part_size_for(size, settings.S3_MULTIPART_PART_SIZE)


def staging_name(upload_id: Any, filename: str) -> str:
    """Return the storage name a multipart upload assembles into."""
    name = PurePosixPath(clean_filename(filename))
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name.stem).strip("-.")[:80] or "video"
    return f"{STAGING_PREFIX}{upload_id}/{stem}{name.suffix.lower()}"


def _require_s3() -> None:
    if not s3.is_s3():
        raise UploadRejected(
            "Multipart uploads need S3 storage; use the tus endpoint (/api/v1/videos/uploads/).",
            code="multipart_unavailable",
        )


def _refused(exc: s3.S3Refused, doing: str) -> UploadError:
    return UploadRejected(f"S3 refused to {doing}: {exc.message} ({exc.code})", code="s3_refused")


def multipart_upload_create(
    *,
    owner: AbstractBaseUser,
    filename: str,
    size: int,
    title: str,
    description: str = "",
) -> MultipartUpload:
    """Check name and size, open a multipart upload on S3 and record it."""
    _require_s3()
    filename, _extension, title = session_check(filename=filename, size=size, title=title)
    # Checked before S3 is asked for anything (no transaction is open yet, so unlocked).
    upload_sessions_quota_check(owner=owner, lock=False)
    upload = MultipartUpload(
        owner=owner,
        filename=filename,
        title=title,
        description=description,
        size=size,
        part_size=multipart_part_size(size),
        expires_at=upload_expiry(),
    )
    upload.key = staging_name(upload.pk, filename)
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    try:
        upload.s3_upload_id = s3.create_upload(upload.key, content_type=content_type)
    except s3.S3Refused as exc:
        raise _refused(exc, "start the upload") from exc
    try:
        with transaction.atomic():
            upload.save(force_insert=True)
            video_upload_begin(
                owner=owner,
                filename=filename,
                size=size,
                title=title,
                description=description,
                video_id=upload.video_id,
            )
    except BaseException:
        s3.abort_upload(upload.key, upload.s3_upload_id)
        raise
    logger.info(
        "multipart upload created upload_id=%s video_id=%s size=%s parts=%s",
        upload.pk,
        upload.video_id,
        size,
        upload.part_count,
    )
    return upload


def multipart_part_urls(
    *, upload: MultipartUpload, part_numbers: list[int] | None = None
) -> list[PartUrl]:
    """Return fresh presigned URLs for the given parts (default: all of them)."""
    expires_in = max(60, int((upload.expires_at - timezone.now()).total_seconds()))
    numbers = part_numbers if part_numbers is not None else range(1, upload.part_count + 1)
    urls = []
    for number in numbers:
        size = multipart_part_bytes(upload, number)
        url = s3.part_url(upload.key, upload.s3_upload_id, number, size=size, expires_in=expires_in)
        urls.append(PartUrl(number, url, size))
    return urls


def multipart_part_bytes(upload: MultipartUpload, part_number: int) -> int:
    """The size of one part: part_size, except the last, which holds the rest."""
    if part_number < upload.part_count:
        return upload.part_size
    return upload.size - upload.part_size * (upload.part_count - 1)


def multipart_progress_record(*, upload: MultipartUpload) -> list[dict[str, Any]]:
    """Ask S3 which parts it has, record their bytes on the upload's video, return them.

    The client sends the parts straight to S3, so this is how the server learns of them.
    """
    uploaded = multipart_uploaded_parts(upload)
    if upload.status == UploadStatus.UPLOADING:
        received = sum(part["size"] for part in uploaded)
        video_upload_progress(video_id=upload.video_id, received=received)
    return uploaded


def _check_parts(upload: MultipartUpload, parts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the parts in order; reject an empty, repeated or out-of-range list."""
    if not parts:
        raise UploadRejected("List the uploaded parts with their ETags.", code="parts_required")
    numbers = [p["part_number"] for p in parts]
    if len(set(numbers)) != len(numbers):
        raise UploadRejected("Each part number may be listed once.", code="duplicate_parts")
    outside = [n for n in numbers if not 1 <= n <= upload.part_count]
    if outside:
        raise UploadRejected(
            f"Part {outside[0]} doesn't exist: this upload has parts 1 to {upload.part_count}.",
            code="invalid_part_number",
        )
    return sorted(parts, key=lambda p: p["part_number"])


def _finished_already(upload: MultipartUpload) -> MultipartUpload | None:
    """Return the upload if it is completed; reject one that was aborted or failed."""
    if upload.status == UploadStatus.COMPLETED:
        return upload
    if upload.status != UploadStatus.UPLOADING:
        reason = f": {upload.error}" if upload.error else "."
        raise UploadConflict(
            f"This upload was {upload.status}{reason} Start a new upload.",
            code=f"upload_{upload.status}",
        )
    if upload.expires_at <= timezone.now():
        raise UploadGone(
            "This upload expired before it was completed; start a new upload.",
            code="upload_expired",
        )
    return None


def multipart_upload_complete(
    *, upload: MultipartUpload, parts: list[dict[str, Any]]
) -> MultipartUpload:
    """Join the parts on S3, check the file and make it a video with its processing job."""
    done = _finished_already(upload)
    if done is not None:
        return done
    parts = _check_parts(upload, parts)
    try:
        s3.complete_upload(upload.key, upload.s3_upload_id, parts)
    except s3.S3Refused as exc:
        # A retry after a lost response: S3 already joined the parts (or we made the video).
        upload.refresh_from_db()
        if upload.status == UploadStatus.COMPLETED:
            return upload
        if exc.code != "NoSuchUpload" or s3.object_size(upload.key) is None:
            raise _refused(exc, "complete the upload") from exc
    size = s3.object_size(upload.key)
    if size != upload.size:
        upload.refresh_from_db()
        if upload.status == UploadStatus.COMPLETED:
            return upload
        message = (
            f"The parts add up to {size or 0} bytes, but the upload was declared as "
            f"{upload.size} bytes."
        )
        _fail(upload, message)
        raise UploadRejected(message, code="size_mismatch")
    try:
        return _make_video(upload)
    except UploadError as exc:
        _fail(upload, exc.message)
        raise


def _make_video(upload: MultipartUpload) -> MultipartUpload:
    """Copy the joined object into place, then mark the upload's video processing.

    The copy (an S3 request) happens before and outside the transaction that points the
    video at it; the staging object is deleted once that transaction commits.
    """
    if upload.status == UploadStatus.COMPLETED or _video_has_original(upload.video_id):
        return upload
    original = video_original_adopt(
        key=upload.key, filename=upload.filename, video_id=upload.video_id
    )
    try:
        with transaction.atomic():
            locked = MultipartUpload.objects.select_for_update().get(pk=upload.pk)
            if locked.status == UploadStatus.COMPLETED:
                return locked  # completed meanwhile by a retry: same object, same key
            video = session_finish(locked, original)
            transaction.on_commit(partial(s3.delete_object, locked.key))
    except UploadError:
        video_original_discard(original)
        raise
    logger.info(
        "multipart upload completed upload_id=%s video_id=%s job_id=%s",
        locked.pk,
        video.pk,
        locked.job_id,
    )
    return locked


def _video_has_original(video_id: Any) -> bool:
    return Video.objects.filter(pk=video_id).exclude(original_key="").exists()


def _fail(upload: MultipartUpload, error: str) -> None:
    """Mark the upload (and its video) failed with a reason and delete the joined object."""
    session_fail(upload, error)
    s3.delete_object(upload.key)
    logger.info("multipart upload failed upload_id=%s error=%s", upload.pk, error)


def multipart_upload_abort(*, upload: MultipartUpload) -> MultipartUpload:
    """Abort the upload on S3 and delete what it stored; aborting twice is fine."""
    if upload.status == UploadStatus.COMPLETED:
        raise UploadConflict(
            "This upload is complete; delete the video instead.",
            code="upload_completed",
        )
    _abort_on_s3(upload)
    MultipartUpload.objects.filter(pk=upload.pk, status=UploadStatus.UPLOADING).update(
        status=UploadStatus.ABORTED, updated_at=timezone.now()
    )
    video_upload_abandon(video_id=upload.video_id)
    upload.refresh_from_db()
    logger.info("multipart upload aborted upload_id=%s", upload.pk)
    return upload


def _abort_on_s3(upload: MultipartUpload) -> None:
    try:
        s3.abort_upload(upload.key, upload.s3_upload_id)
        s3.delete_object(upload.key)
    except s3.S3Refused as exc:
        raise _refused(exc, "abort the upload") from exc


def multipart_uploads_abort_stale(*, now: datetime | None = None) -> dict[str, Any]:
    """Abort uploads past their expiry and delete their rows and uploading videos; abort
    S3 uploads nobody owns.

    Finished uploads past their expiry lose their row (the video stays). Multipart
    uploads open on S3 under the staging prefix with no row, older than the expiry
    period, are leftovers of a failed request and are aborted too.
    """
    if not s3.is_s3():
        return {"skipped": "The default storage is not S3."}
    now = now or timezone.now()
    aborted, deleted = [], 0
    for upload in MultipartUpload.objects.filter(expires_at__lt=now):
        if upload.status == UploadStatus.UPLOADING:
            try:
                _abort_on_s3(upload)
            except UploadError:
                logger.warning("could not abort upload_id=%s", upload.pk, exc_info=True)
                continue
            aborted.append(str(upload.pk))
        deleted += MultipartUpload.objects.filter(pk=upload.pk).delete()[0]
        video_upload_abandon(video_id=upload.video_id)
    known = set(MultipartUpload.objects.values_list("s3_upload_id", flat=True))
    cutoff = upload_expiry_cutoff(now)
    orphans = []
    for pending in s3.pending_uploads(STAGING_PREFIX):
        if pending.upload_id not in known and pending.initiated < cutoff:
            s3.abort_key(pending.key, pending.upload_id)
            orphans.append(pending.key)
    logger.info(
        "multipart uploads cleaned aborted=%s rows_deleted=%s orphans=%s",
        len(aborted),
        deleted,
        len(orphans),
    )
    return {"aborted": aborted, "rows_deleted": deleted, "orphaned_uploads": orphans}
