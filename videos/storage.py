"""Where a video's files live in the default storage, and moving them in and out.

Keys come from the video id only (the client's file name never reaches a path). The
default storage is local disk (FileSystemStorage) or S3 (django-storages); the few
operations Django's Storage API lacks — an atomic put, a copy, a download to local
disk — take the fast path each backend offers.
"""

import contextlib
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from django.core.files import File
from django.core.files.storage import FileSystemStorage, default_storage

from jobs.orphans import list_files

logger = logging.getLogger(__name__)

ORIGINALS_PREFIX = "originals/"
PROCESSED_PREFIX = "processed/"
RENDITION_FILES = {"mp4": "video.mp4", "proxy": "proxy.mp4", "thumbnail": "thumbnail.jpg"}
RENDITIONS = ("original", *RENDITION_FILES)
COPY_CHUNK_BYTES = 1024 * 1024


class StorageUnavailable(Exception):
    """The storage could not be reached or answered with a server error; try again later."""


class StoredFileMissing(Exception):
    """A file the video needs is not in the storage."""


def original_key(video_id: uuid.UUID | str, extension: str) -> str:
    """Return the key of a video's original upload, e.g. `originals/<id>.mp4`."""
    return f"{ORIGINALS_PREFIX}{video_id}{extension}"


def processed_dir(video_id: uuid.UUID | str) -> str:
    """Return the folder holding a video's renditions."""
    return f"{PROCESSED_PREFIX}{video_id}"


def rendition_key(video_id: uuid.UUID | str, rendition: str) -> str:
    """Return the key of `mp4`, `proxy` or `thumbnail` for a video."""
    return f"{processed_dir(video_id)}/{RENDITION_FILES[rendition]}"


def run_folder(video_id: uuid.UUID | str, kind: str, run: str) -> str:
    """Return the folder of one processing run's `hls` or `storyboard` files.

    Each run writes a new folder, so a player reading the previous run's files never sees
    a mix of the two; the previous folder is deleted once the video points at the new one.
    """
    return f"{processed_dir(video_id)}/{kind}-{run}"


def put_folder(prefix: str, folder: Path, *, last: str) -> str:
    """Write every file under `folder` to `prefix/...`, the file named `last` at the end.

    The entry point (a master playlist, a WebVTT track) goes last, so whoever can read it
    can read everything it names. Return the entry point's key.
    """
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    entry = folder / last
    for path in [*(p for p in files if p != entry), entry]:
        put_file(f"{prefix}/{path.relative_to(folder).as_posix()}", path)
    return f"{prefix}/{last}"


RUN_FOLDER_KINDS = ("hls", "storyboard")


def delete_other_run_folders(video_id: uuid.UUID | str, keep: list[str]) -> None:
    """Delete the video's HLS and storyboard run folders except those in `keep`."""
    base = processed_dir(video_id)
    try:
        names = [name for name, _ in list_files(base)]
    except Exception:
        logger.warning("could not list %s in storage", base, exc_info=True)
        return
    folders = set()
    for name in names:
        parts = PurePosixPath(name).relative_to(base).parts
        if len(parts) > 1 and parts[0].split("-", 1)[0] in RUN_FOLDER_KINDS:
            folders.add(f"{base}/{parts[0]}")
    for folder in sorted(folders - set(keep)):
        delete_folder(folder)


def delete_folder(prefix: str) -> None:
    """Delete every file under a folder, logging (not raising) when the storage refuses."""
    try:
        names = [name for name, _ in list_files(prefix)]
    except Exception:
        logger.warning("could not list %s in storage", prefix, exc_info=True)
        return
    for name in names:
        delete_quietly(name)
    _remove_empty_dirs(prefix)


def _remove_empty_dirs(prefix: str) -> None:
    if not is_local():
        return
    root = Path(default_storage.path(prefix))
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), reverse=True):
        with contextlib.suppress(OSError):
            folder.rmdir()
    with contextlib.suppress(OSError):
        root.rmdir()


def is_managed_key(key: str) -> bool:
    """Tell whether a key belongs to some video (so outside input must not name it)."""
    parts = PurePosixPath(key).parts
    return (
        not parts
        or ".." in parts
        or key.startswith("/")
        or key.startswith((ORIGINALS_PREFIX, PROCESSED_PREFIX))
    )


def is_local() -> bool:
    """Tell whether the default storage is the local file system."""
    return isinstance(default_storage, FileSystemStorage)


def _is_s3() -> bool:
    return hasattr(default_storage, "bucket") and hasattr(default_storage, "_normalize_name")


def _s3_key(name: str) -> str:
    from storages.utils import clean_name

    return default_storage._normalize_name(clean_name(name))


@contextmanager
def storage_errors() -> Iterator[None]:
    """Turn network and server-side storage failures into StorageUnavailable."""
    try:
        yield
    except (ConnectionError, TimeoutError) as exc:
        raise StorageUnavailable(f"Storage unreachable: {exc}") from exc
    except Exception as exc:
        if _is_transient_s3_error(exc):
            raise StorageUnavailable(f"Storage unavailable: {exc}") from exc
        raise


def _is_transient_s3_error(exc: Exception) -> bool:
    try:
        from botocore.exceptions import ClientError, HTTPClientError
        from botocore.exceptions import ConnectionError as BotoConnectionError
    except ImportError:  # pragma: no cover - boto3 is a dependency, S3 is optional
        return False
    if isinstance(exc, (BotoConnectionError, HTTPClientError)):
        return True
    if isinstance(exc, ClientError):
        response = exc.response
        code = response.get("Error", {}).get("Code", "")
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return status >= 500 or code in {"SlowDown", "RequestTimeout", "Throttling"}
    return False


def save_upload(key: str, file: File) -> None:
    """Stream an uploaded file into the storage under exactly `key`."""
    stored = default_storage.save(key, file)
    if stored != key:  # the backend renamed it: never point a row at the wrong name
        default_storage.delete(stored)
        raise RuntimeError(f"Storage stored {key!r} as {stored!r}; expected the exact key.")


def delete_quietly(key: str) -> None:
    """Delete a file no row points at, logging (not raising) when the storage refuses.

    For cleanups after the fact (on commit, after a failure): what is left over is only a
    stray file, which the orphan sweep or the video's deletion removes.
    """
    try:
        default_storage.delete(key)
    except Exception:
        logger.warning("could not delete %s from storage", key, exc_info=True)


def put_file(key: str, path: Path) -> None:
    """Write a local file to `key`, replacing what is there; never leave a half-written key."""
    if is_local():
        # Copy next to the target, then rename over it: readers see the old or the new file.
        target = Path(default_storage.path(key))
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.part-{uuid.uuid4().hex[:8]}")
        try:
            shutil.copyfile(path, partial)
            os.chmod(partial, 0o644)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        return
    # An S3 PUT (or multipart upload) is atomic: the object appears complete or not at all.
    with path.open("rb") as f:
        save_upload(key, File(f, name=path.name))


def copy(source: str, dest: str) -> None:
    """Copy the object at `source` to `dest` inside the storage."""
    if is_local():
        src, dst = Path(default_storage.path(source)), Path(default_storage.path(dest))
        dst.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(src, dst)  # a second name for the same bytes: instant, no extra space
        except OSError:
            shutil.copyfile(src, dst)
        return
    if _is_s3():
        bucket = default_storage.bucket
        bucket.copy({"Bucket": bucket.name, "Key": _s3_key(source)}, _s3_key(dest))
        return
    with default_storage.open(source, "rb") as f:
        save_upload(dest, f)


def fetch(key: str, directory: Path) -> Path:
    """Return a local path holding the object at `key`: the file itself, or a download."""
    if is_local():
        path = Path(default_storage.path(key))
        if not path.is_file():
            raise StoredFileMissing(f"{key} is missing from storage.")
        return path
    dest = directory / f"source{PurePosixPath(key).suffix}"
    if _is_s3():
        _s3_download(key, dest)
        return dest
    try:
        source = default_storage.open(key, "rb")
    except FileNotFoundError as exc:
        raise StoredFileMissing(f"{key} is missing from storage.") from exc
    with source, dest.open("wb") as out:
        shutil.copyfileobj(source, out, COPY_CHUNK_BYTES)
    return dest


def _s3_download(key: str, dest: Path) -> None:
    from botocore.exceptions import ClientError

    try:
        default_storage.bucket.Object(_s3_key(key)).download_file(str(dest))
    except ClientError as exc:
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        code = exc.response.get("Error", {}).get("Code", "")
        if status == 404 or code in {"404", "NoSuchKey"}:
            raise StoredFileMissing(f"{key} is missing from storage.") from exc
        raise


def read_head(key: str, size: int) -> bytes:
    """Return the first `size` bytes of the object at `key` (S3: a ranged GET, not the object)."""
    if _is_s3():
        obj = default_storage.bucket.Object(_s3_key(key))
        return obj.get(Range=f"bytes=0-{size - 1}")["Body"].read()
    with default_storage.open(key, "rb") as f:
        return f.read(size)


def video_id_of(name: str) -> uuid.UUID | None:
    """Return the video a managed key belongs to (`originals/{id}.ext`, `processed/{id}/..`)."""
    parts = PurePosixPath(name).parts
    if len(parts) == 2 and parts[0] + "/" == ORIGINALS_PREFIX:
        candidate = PurePosixPath(parts[1]).stem
    elif len(parts) >= 3 and parts[0] + "/" == PROCESSED_PREFIX:
        candidate = parts[1]
    else:
        return None
    try:
        return uuid.UUID(candidate)
    except ValueError:
        return None


def video_keys(video_id: uuid.UUID | str, known: list[str]) -> list[str]:
    """Return every key a video has in storage: the known ones plus its processed folder.

    The processed folder is walked to the bottom (the HLS and storyboard folders too).
    """
    keys = {key for key in known if key}
    keys.update(name for name, _ in list_files(processed_dir(video_id)))
    return sorted(keys)


def delete_files(video_id: uuid.UUID | str, known: list[str]) -> list[str]:
    """Delete all of a video's files (missing ones are fine) and return the keys removed."""
    keys = video_keys(video_id, known)
    for key in keys:
        default_storage.delete(key)
    _remove_empty_dirs(processed_dir(video_id))
    logger.info("video files deleted video_id=%s keys=%s", video_id, len(keys))
    return keys
