"""tus uploads that end without a video: terminated by their owner, or expired.

On local storage the partial file goes; on S3 the multipart upload is aborted (freeing
its parts) and the pending object deleted. Either way the row and its still-uploading
video go too.
"""

import logging
import uuid
from datetime import datetime
from typing import Any

from django.utils import timezone

from videos.services import video_upload_abandon
from videos.storage import StorageUnavailable
from videos.uploads import partials, s3, tus_s3
from videos.uploads.expiry import upload_expiry_cutoff
from videos.uploads.models import TusUpload
from videos.uploads.services.tus import upload_busy

logger = logging.getLogger(__name__)


def tus_upload_terminate(*, upload: TusUpload) -> None:
    """Delete an upload, its partial data and its video (a completed upload's video stays)."""
    if upload.on_s3:
        try:
            token = tus_s3.claim(upload.pk, offset=None)
        except tus_s3.NotClaimed:
            raise upload_busy() from None
        try:
            tus_s3.discard(upload.pk, upload.s3_key, upload.s3_upload_id)
            _remove(upload.pk, upload.video_id)
        finally:
            tus_s3.release(upload.pk, token)
        logger.info("tus upload terminated upload_id=%s", upload.pk)
        return
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
    expired = TusUpload.objects.filter(expires_at__lt=now)
    removed, busy = [], []
    for upload_id, video_id, key, s3_upload_id in list(
        expired.values_list("pk", "video_id", "s3_key", "s3_upload_id")
    ):
        if s3_upload_id:
            if _expire_s3(upload_id, video_id, key, s3_upload_id):
                removed.append(str(upload_id))
            else:
                busy.append(str(upload_id))
            continue
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
    if s3.is_s3():
        known = set(
            TusUpload.objects.exclude(s3_upload_id="").values_list("s3_upload_id", flat=True)
        )
        cutoff = upload_expiry_cutoff(now)
        orphans += tus_s3.orphans_discard(older_than=cutoff, known=known)
    logger.info(
        "tus uploads expired removed=%s busy=%s orphans=%s", len(removed), len(busy), len(orphans)
    )
    return {"removed": removed, "busy": busy, "orphaned_files": orphans}


def _expire_s3(upload_id: uuid.UUID, video_id: uuid.UUID | None, key: str, s3_id: str) -> bool:
    """Abort an expired upload's S3 parts and remove it; False if it is busy or S3 is down."""
    try:
        token = tus_s3.claim(upload_id, offset=None)
    except tus_s3.NotClaimed:
        return False
    try:
        tus_s3.discard(upload_id, key, s3_id)
    except (StorageUnavailable, s3.S3Refused):
        logger.warning("could not abort the S3 parts of upload_id=%s", upload_id, exc_info=True)
        tus_s3.release(upload_id, token)
        return False
    _remove(upload_id, video_id)
    return True


def _remove_orphaned_partials(now: datetime) -> list[str]:
    """Delete partial files older than the expiry period that belong to no upload."""
    cutoff = upload_expiry_cutoff(now).timestamp()
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
