"""The partial file of a tus upload: `{TUS_UPLOAD_DIR}/{upload id}.part` on local disk.

Writers take an exclusive, non-blocking `flock` on the file, so two PATCHes on one upload
never interleave their bytes; the second one is told to come back (HTTP 423). The file's
size is the truth about how many bytes arrived: a request that dies mid-write still leaves
every byte it wrote, and the next request starts from there.
"""

import fcntl
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

# Request bodies are copied to disk in blocks this big: memory stays flat for any size.
BLOCK_BYTES = 1024 * 1024
SUFFIX = ".part"


class PartialBusy(Exception):
    """Another request is writing to this upload right now."""


class PartialMissing(Exception):
    """The upload's partial file is gone (finished, terminated or expired)."""


def upload_dir() -> Path:
    """Return the folder partial files live in, creating it if needed."""
    folder = Path(settings.TUS_UPLOAD_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def partial_path(upload_id: uuid.UUID | str) -> Path:
    """Return the path of an upload's partial file."""
    return upload_dir() / f"{upload_id}{SUFFIX}"


def create(upload_id: uuid.UUID | str) -> Path:
    """Create the empty partial file of a new upload."""
    path = partial_path(upload_id)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    return path


def size(upload_id: uuid.UUID | str) -> int | None:
    """Return how many bytes the partial file holds, or None if it is gone."""
    try:
        return partial_path(upload_id).stat().st_size
    except FileNotFoundError:
        return None


def remove(upload_id: uuid.UUID | str) -> None:
    """Delete an upload's partial file (a missing file is fine)."""
    partial_path(upload_id).unlink(missing_ok=True)


@contextmanager
def locked(upload_id: uuid.UUID | str) -> Iterator[int]:
    """Open the partial file for appending under an exclusive lock and yield its descriptor.

    Raises PartialBusy when another request holds the lock and PartialMissing when the
    file is gone — also when it was removed or renamed between opening and locking.
    """
    path = partial_path(upload_id)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    except FileNotFoundError:
        raise PartialMissing(str(upload_id)) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise PartialBusy(str(upload_id)) from None
        if not _still_at(fd, path):
            raise PartialMissing(str(upload_id))
        yield fd
    finally:
        os.close(fd)  # also releases the lock


def _still_at(fd: int, path: Path) -> bool:
    """Tell whether the open file is still the one at `path` (not deleted or replaced)."""
    try:
        current = path.stat()
    except FileNotFoundError:
        return False
    opened = os.fstat(fd)
    return (opened.st_dev, opened.st_ino) == (current.st_dev, current.st_ino)


def locked_size(fd: int) -> int:
    """Return the size of the locked partial file."""
    return os.fstat(fd).st_size


def append(fd: int, read: Callable[[int], bytes], nbytes: int) -> int:
    """Copy up to `nbytes` from `read` to the end of the file; return the bytes written.

    Stops early, keeping what was written, when the client goes away: `read` returns
    short or raises OSError (Django's UnreadablePostError is one).
    """
    written = 0
    while written < nbytes:
        try:
            block = read(min(BLOCK_BYTES, nbytes - written))
        except OSError as exc:
            logger.info("tus chunk interrupted after %s of %s bytes: %s", written, nbytes, exc)
            break
        if not block:
            logger.info("tus chunk ended after %s of %s bytes", written, nbytes)
            break
        _write_all(fd, block)
        written += len(block)
    return written


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def stale_files(*, older_than: float) -> list[Path]:
    """Return the partial files last written before `older_than` (a POSIX timestamp)."""
    stale = []
    for path in upload_dir().glob(f"*{SUFFIX}"):
        try:
            if path.stat().st_mtime < older_than:
                stale.append(path)
        except FileNotFoundError:
            continue
    return stale
