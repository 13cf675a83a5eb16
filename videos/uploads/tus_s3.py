"""The partial data of a tus upload on S3: a multipart upload plus a small pending object.

What `partials` does with a local file, for S3 storage, and with nothing on the web host:
any web host can take the next PATCH of any upload. Like tusd's S3 store, the bytes go
to an S3 multipart upload opened at the video's original key (`originals/{id}{ext}`),
one part (S3_MULTIPART_PART_SIZE, at least S3's 5 MiB) at a time; bytes short of a whole
part wait in the object `uploads/tus/{upload id}.pending` until the next PATCH brings
more, and the last bytes of the file go as the last (small) part. The database row holds
the rest: S3's upload id, the parts with their ETags, how many pending bytes are valid,
and the offset. Completing joins the parts on S3 (CompleteMultipartUpload): no byte of
the file passes through the web process again.

One request writes at a time: a writer claims the row (`writer`, `writer_expires_at`)
with a conditional UPDATE that also checks the client's offset, renews the claim while
it streams and before every S3 write, and makes every row write conditional on still
holding it. No row lock is
held across S3 calls. A request that dies leaves a consistent row (each part is recorded
after S3 has it; the pending object is written before the row counts its bytes), and its
claim lapses after CLAIM_SECONDS.
"""

import logging
import mimetypes
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from videos.storage import ORIGINALS_PREFIX, original_key
from videos.uploads import s3
from videos.uploads.expiry import upload_expiry
from videos.uploads.models import TusUpload, UploadStatus

logger = logging.getLogger(__name__)

PENDING_PREFIX = "uploads/tus/"
PENDING_SUFFIX = ".pending"
# A writer that stops renewing its claim (a killed process) loses it after this long.
CLAIM_SECONDS = 120
RENEW_SECONDS = 15
BLOCK_BYTES = 1024 * 1024


class NotClaimed(Exception):
    """The upload is not open to this request: busy, at another offset, finished or gone."""


class ClaimLost(Exception):
    """Another request took the upload over while this one was writing (its claim lapsed)."""


class DataLost(Exception):
    """S3 no longer has what the row says it received (aborted, or the pending object)."""


def pending_name(upload_id: uuid.UUID | str) -> str:
    """Return the storage name of an upload's pending (not yet a part) bytes."""
    return f"{PENDING_PREFIX}{upload_id}{PENDING_SUFFIX}"


def open_upload(*, video_id: uuid.UUID, extension: str, filename: str) -> tuple[str, str]:
    """Start the S3 multipart upload of a new tus upload; return (storage name, upload id)."""
    key = original_key(video_id, extension)
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return key, s3.create_upload(key, content_type=content_type)


def part_size(upload: TusUpload) -> int:
    """Return the size of every part of this upload but the last."""
    return s3.part_size_for(upload.length, settings.S3_MULTIPART_PART_SIZE)


def claim(upload_id: uuid.UUID, *, offset: int | None) -> uuid.UUID:
    """Make this request the upload's only writer; return its token.

    With an `offset`, only an uploading, unexpired upload at exactly that offset is
    claimed; without one (termination, expiry), any upload nobody is writing to.
    Raises NotClaimed; the caller reads the row to tell the client why.
    """
    token, now = uuid.uuid4(), timezone.now()
    free = Q(writer__isnull=True) | Q(writer_expires_at__lt=now)
    rows = TusUpload.objects.filter(free, pk=upload_id)
    if offset is not None:
        rows = rows.filter(status=UploadStatus.UPLOADING, expires_at__gt=now, offset=offset)
    if not rows.update(writer=token, writer_expires_at=now + timedelta(seconds=CLAIM_SECONDS)):
        raise NotClaimed(str(upload_id))
    return token


def is_busy(upload: TusUpload) -> bool:
    """Tell whether another request holds a live claim on the upload."""
    return (
        upload.writer is not None
        and upload.writer_expires_at is not None
        and upload.writer_expires_at >= timezone.now()
    )


def release(upload_id: uuid.UUID, token: uuid.UUID) -> None:
    """Give up the claim (if this request still holds it)."""
    TusUpload.objects.filter(pk=upload_id, writer=token).update(writer=None, writer_expires_at=None)


def _mine(upload: TusUpload, token: uuid.UUID) -> Any:
    return TusUpload.objects.filter(pk=upload.pk, writer=token, status=UploadStatus.UPLOADING)


class Writer:
    """Stream a PATCH body into an upload's S3 parts under a claim."""

    def __init__(self, upload: TusUpload, token: uuid.UUID, *, on_progress: Callable) -> None:
        self.upload = upload
        self.token = token
        self.part_size = part_size(upload)
        self.parts: list[dict[str, Any]] = list(upload.s3_parts)
        self.buffer = bytearray(self._pending_bytes())
        self.on_progress = on_progress
        self.renewed = time.monotonic()

    @property
    def stored(self) -> int:
        """Bytes in parts S3 has."""
        return sum(part["size"] for part in self.parts)

    def _pending_bytes(self) -> bytes:
        if not self.upload.s3_pending:
            return b""
        data = s3.read_bytes(pending_name(self.upload.pk))
        if data is None or len(data) < self.upload.s3_pending:
            raise DataLost(f"the {self.upload.s3_pending} bytes held back are gone from S3")
        return data[: self.upload.s3_pending]

    def append(self, read: Callable[[int], bytes], nbytes: int) -> int:
        """Copy up to `nbytes` from `read`, sending each whole part; return the bytes read.

        Stops early, keeping what was read, when the client goes away (a short read or
        OSError, as `partials.append` does).
        """
        received = 0
        while received < nbytes:
            try:
                block = read(min(BLOCK_BYTES, nbytes - received))
            except OSError as exc:
                logger.info("tus chunk interrupted upload_id=%s: %s", self.upload.pk, exc)
                break
            if not block:
                logger.info("tus chunk ended early upload_id=%s", self.upload.pk)
                break
            self.buffer += block
            received += len(block)
            while len(self.buffer) >= self.part_size:
                self._send_part(self.part_size)
            self._renew()
        return received

    def close(self) -> int:
        """Keep what is buffered (the last part at the end, else the pending object);
        return the upload's offset."""
        offset = self.stored + len(self.buffer)
        if self.buffer and offset == self.upload.length:
            self._send_part(len(self.buffer))
        elif offset != self.upload.offset:
            if self.buffer:
                self._renew(force=True)
                s3.put_bytes(pending_name(self.upload.pk), self.buffer)
            self._record(pending=len(self.buffer))
        return self.upload.offset

    def _send_part(self, size: int) -> None:
        number = len(self.parts) + 1
        self._renew(force=True)
        etag = s3.upload_part(
            self.upload.s3_key, self.upload.s3_upload_id, number, self.buffer[:size]
        )
        self.parts.append({"part_number": number, "etag": etag, "size": size})
        del self.buffer[:size]
        self._record(pending=0)
        logger.info("tus part stored upload_id=%s part=%s size=%s", self.upload.pk, number, size)

    def _record(self, *, pending: int) -> None:
        """Write the parts, the pending count and the offset to the row, if still ours."""
        now = timezone.now()
        offset = self.stored + pending
        fields = {
            "s3_parts": self.parts,
            "s3_pending": pending,
            "offset": offset,
            "writer_expires_at": now + timedelta(seconds=CLAIM_SECONDS),
            "expires_at": upload_expiry(now),
            "updated_at": now,
        }
        if not _mine(self.upload, self.token).update(**fields):
            raise ClaimLost(str(self.upload.pk))
        for name, value in fields.items():
            setattr(self.upload, name, value)
        self.renewed = time.monotonic()
        self.on_progress(self.upload)

    def _renew(self, *, force: bool = False) -> None:
        """Extend the claim; raise ClaimLost if another request has taken it.

        Forced before every S3 write: a request that stalled past its claim (a hung
        client) must not overwrite a part or the pending bytes of the request that took
        over. Once renewed, the write has CLAIM_SECONDS to finish.
        """
        if not force and time.monotonic() - self.renewed < RENEW_SECONDS:
            return
        until = timezone.now() + timedelta(seconds=CLAIM_SECONDS)
        if not _mine(self.upload, self.token).update(writer_expires_at=until):
            raise ClaimLost(str(self.upload.pk))
        self.renewed = time.monotonic()


def complete(upload: TusUpload) -> None:
    """Join the upload's parts into its object on S3; a repeat after success is fine."""
    parts = sorted(upload.s3_parts, key=lambda part: part["part_number"])
    try:
        s3.complete_upload(upload.s3_key, upload.s3_upload_id, parts)
    except s3.S3Refused as exc:
        # A retry after a lost response finds the upload already joined into the object.
        if exc.code == "NoSuchUpload" and s3.object_size(upload.s3_key) == upload.length:
            return
        raise DataLost(f"S3 refused to join the parts: {exc.message} ({exc.code})") from exc
    s3.delete_object(pending_name(upload.pk))


def discard(upload_id: uuid.UUID, key: str, s3_upload_id: str) -> None:
    """Abort the upload's S3 multipart upload and delete its pending bytes.

    The object at `key` (a completed upload's original) is not touched.
    """
    s3.abort_upload(key, s3_upload_id)
    s3.delete_object(pending_name(upload_id))


def orphans_discard(*, older_than: Any, known: set[str]) -> list[str]:
    """Abort tus multipart uploads whose row never committed (or is gone) and delete their
    pending objects; only those started before `older_than`. Return their keys."""
    removed = []
    for pending in s3.pending_uploads(ORIGINALS_PREFIX):
        if pending.upload_id not in known and pending.initiated < older_than:
            s3.abort_key(pending.key, pending.upload_id)
            removed.append(pending.key)
    return removed
