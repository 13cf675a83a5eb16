"""Upload checks: extension, size and content, plus the size-limiting upload handler.

Every check raises an `UploadError` with a message the uploader can act on: a service error
of a kind (`config.errors`), so an API view that lets it through answers 400, or 413 for
size, in the project's error body. The upload protocols (tus, S3 multipart) use the other
kinds below for their 409, 410 and 423 answers.
"""

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler

from config.errors import Busy, Conflict, Gone, InvalidRequest, ServiceError, TooLarge
from videos.media import SNIFF_BYTES, MediaError, MediaPolicy, probe, sniff_container
from videos.media.confine import SandboxUnavailable
from videos.media.ffmpeg import FFmpegMissing

# Multipart boundaries, part headers and the title/description fields ride on top of the
# file in Content-Length; only a body larger than limit + this is rejected unread.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
MAX_FILENAME_LENGTH = 255
CONTAINER_NAMES = "MP4, MOV, AVI, MKV or WebM"
# The web request waits this long at most for the upload-time probe (then the worker judges).
UPLOAD_PROBE_TIMEOUT_SECONDS = 15
COPY_CHUNK_BYTES = 1024 * 1024


class UploadError(ServiceError):
    """An upload, or a part of one, was refused; nothing of it was stored."""

    code = "upload_rejected"


class UploadRejected(InvalidRequest, UploadError):
    """The upload is not acceptable as sent (a name, a size, a title, its content)."""

    code = "upload_rejected"


class UploadTooLarge(TooLarge, UploadError):
    """The upload, or a chunk of it, goes past a size limit."""

    code = "upload_rejected"


class UploadConflict(Conflict, UploadError):
    """The upload is not where the request expects it (an offset, a state)."""

    code = "upload_rejected"


class UploadGone(Gone, UploadError):
    """The upload expired, failed or finished: start a new one."""

    code = "upload_rejected"


class UploadBusy(Busy, UploadError):
    """Another request is writing to this upload right now."""

    code = "upload_rejected"


@dataclass(frozen=True)
class CheckedUpload:
    """What validation learned about an acceptable upload."""

    extension: str
    container: str
    size: int
    filename: str


def allowed_extensions() -> list[str]:
    """Return the lower-case extensions (with the dot) videos may have."""
    return [
        ext.lower() if ext.startswith(".") else f".{ext.lower()}"
        for ext in settings.VIDEO_ALLOWED_EXTENSIONS
    ]


def clean_filename(filename: str) -> str:
    """Return the client's file name without any path and unprintable characters."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if char.isprintable()).strip()
    if len(name) > MAX_FILENAME_LENGTH:
        stem, ext = os.path.splitext(name)
        name = stem[: MAX_FILENAME_LENGTH - len(ext)] + ext
    return name


def check_extension(filename: str) -> str:
    """Return the validated, lower-cased extension of `filename` (e.g. '.mp4')."""
    name = clean_filename(filename)
    extension = os.path.splitext(name)[1].lower()
    allowed = allowed_extensions()
    if extension not in allowed:
        shown = extension or "no extension"
        raise UploadRejected(
            f"Files with {shown} can't be uploaded; use one of: {', '.join(allowed)}.",
            code="unsupported_extension",
        )
    return extension


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def too_large(size: int | None = None) -> UploadTooLarge:
    """Return the 413 rejection for a file over VIDEO_MAX_UPLOAD_BYTES."""
    limit = settings.VIDEO_MAX_UPLOAD_BYTES
    what = f"The file is {_megabytes(size)}" if size is not None else "The file is too large"
    return UploadTooLarge(
        f"{what}; videos can be at most {_megabytes(limit)} ({limit} bytes).",
        code="file_too_large",
    )


def check_size(size: int) -> int:
    """Return `size` if it is within limits; reject empty and oversized files."""
    if size <= 0:
        raise UploadRejected("The file is empty (0 bytes).", code="empty_file")
    if size > settings.VIDEO_MAX_UPLOAD_BYTES:
        raise too_large(size)
    return size


def check_content(head: bytes) -> str:
    """Return the container the first bytes belong to; reject anything that is not a video."""
    container = sniff_container(head)
    if container is None:
        raise UploadRejected(
            f"The file's content is not a video ({CONTAINER_NAMES}), whatever its name says.",
            code="not_a_video",
        )
    return container


def read_head(file: IO[bytes]) -> bytes:
    """Return the first SNIFF_BYTES of a file and rewind it."""
    file.seek(0)
    head = file.read(SNIFF_BYTES)
    file.seek(0)
    return head


def check_upload(*, file: IO[bytes], size: int, filename: str) -> CheckedUpload:
    """Check an uploaded file's name, size, content and media policy; raise UploadRejected."""
    extension = check_extension(filename)
    check_size(size)
    container = check_content(read_head(file))
    check_media_policy(file)
    return CheckedUpload(
        extension=extension, container=container, size=size, filename=clean_filename(filename)
    )


def check_media_policy(file: IO[bytes]) -> None:
    """Refuse a file beyond the media policy when a quick, confined probe can tell.

    Anything the probe can't settle (a damaged file, a slow read, no ffmpeg on the web
    host) is left to the worker, which probes again and fails the video with the reason.
    """
    with _local_path(file) as path:
        try:
            metadata = probe(path, timeout=UPLOAD_PROBE_TIMEOUT_SECONDS)
        except (MediaError, FFmpegMissing, SandboxUnavailable, OSError):
            return
    found = MediaPolicy.from_settings().violations(metadata)
    if found:
        raise UploadRejected(" ".join(found), code="media_policy")


@contextmanager
def _local_path(file: IO[bytes]) -> Iterator[Path]:
    """Yield a path on local disk holding the file: its own, or a temporary copy."""
    temporary = getattr(file, "temporary_file_path", None)
    if temporary is not None:
        yield Path(temporary())
        return
    name = getattr(getattr(file, "file", file), "name", None)
    if isinstance(name, str) and os.path.isfile(name):
        yield Path(name)
        return
    with tempfile.NamedTemporaryFile(dir=settings.FILE_UPLOAD_TEMP_DIR) as copy:
        file.seek(0)
        shutil.copyfileobj(file, copy, COPY_CHUNK_BYTES)
        copy.flush()
        file.seek(0)
        yield Path(copy.name)


def check_title(title: str) -> str:
    """Return the stripped title; reject a blank or overlong one."""
    title = (title or "").strip()
    if not title:
        raise UploadRejected("Give the video a title.", code="title_required")
    if len(title) > 255:
        raise UploadRejected("The title can be at most 255 characters.", code="title_too_long")
    return title


class VideoUploadHandler(TemporaryFileUploadHandler):
    """Stream uploads to a temporary file, refusing bodies over VIDEO_MAX_UPLOAD_BYTES.

    An honest oversized Content-Length is refused before a byte of the body is read;
    otherwise the byte count is checked as the file streams in, and the temporary file
    is removed before the 413 goes out. A file field with a forbidden extension is
    refused before its data is read.
    """

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None) -> None:
        if content_length > settings.VIDEO_MAX_UPLOAD_BYTES + MULTIPART_OVERHEAD_BYTES:
            raise too_large(None)
        self.received = 0

    def new_file(self, field_name: str, file_name: str, *args, **kwargs) -> None:
        check_extension(file_name)
        super().new_file(field_name, file_name, *args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received > settings.VIDEO_MAX_UPLOAD_BYTES:
            self.upload_interrupted()
            raise too_large(None)
        return super().receive_data_chunk(raw_data, start)
