"""Where a job's input and output files live in default storage, and their removal.

Uploads go to `jobs/inputs/{job_id}/` and results to `jobs/outputs/{job_id}/`. Names are
built here from sanitised client names, never used as paths directly. Works on local disk
and S3 alike (only the Storage API is used).
"""

import logging
import os
import posixpath
import uuid
from contextlib import suppress

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.utils.text import get_valid_filename

logger = logging.getLogger(__name__)

INPUTS_ROOT = "jobs/inputs"
OUTPUTS_ROOT = "jobs/outputs"
MAX_NAME_LENGTH = 100


def safe_filename(client_name: str, *, fallback: str = "upload") -> str:
    """Reduce a client-supplied file name to a short, path-free, storage-safe name."""
    base = posixpath.basename((client_name or "").replace("\\", "/"))
    try:
        name = get_valid_filename(base)
    except SuspiciousFileOperation:  # "", "." or ".." after cleaning
        name = fallback
    name = name.lstrip(".") or fallback
    stem, ext = os.path.splitext(name)
    ext = ext[:16]
    return f"{stem[: MAX_NAME_LENGTH - len(ext)]}{ext}"


def input_names(job_id: uuid.UUID | str, client_names: list[str]) -> list[str]:
    """Storage names for a job's uploads: sanitised, and unique within the job."""
    names: list[str] = []
    for client_name in client_names:
        name = safe_filename(client_name)
        stem, ext = os.path.splitext(name)
        counter = 2
        while f"{INPUTS_ROOT}/{job_id}/{name}" in names:
            name = f"{stem}-{counter}{ext}"
            counter += 1
        names.append(f"{INPUTS_ROOT}/{job_id}/{name}")
    return names


def output_name(job_id: uuid.UUID | str, filename: str) -> str:
    return f"{OUTPUTS_ROOT}/{job_id}/{safe_filename(filename, fallback='output')}"


def job_dirs(job_id: uuid.UUID | str) -> list[str]:
    """The storage folders that belong to one job."""
    return [f"{INPUTS_ROOT}/{job_id}", f"{OUTPUTS_ROOT}/{job_id}"]


def input_dir_of(name: str) -> str | None:
    """`jobs/inputs/{id}` for a stored input name, None for anything else."""
    parts = name.split("/")
    if len(parts) >= 4 and f"{parts[0]}/{parts[1]}" == INPUTS_ROOT:
        return f"{INPUTS_ROOT}/{parts[2]}"
    return None


def delete_dir(prefix: str) -> int:
    """Delete every file under a storage folder; return how many were deleted."""
    try:
        dirs, files = default_storage.listdir(prefix)
    except FileNotFoundError:
        return 0
    deleted = 0
    for sub in dirs:
        deleted += delete_dir(f"{prefix}/{sub}")
    for filename in files:
        default_storage.delete(f"{prefix}/{filename}")
        deleted += 1
    # Local disk keeps empty folders; object stores have none to remove.
    with suppress(NotImplementedError, OSError):
        os.rmdir(default_storage.path(prefix))
    return deleted
