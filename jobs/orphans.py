"""Files whose row never committed: one sweep for every app's stored files.

Files are written before the row that points at them, never inside a transaction, so a
process that dies in between leaves a file no row points to (and a file replaced on
commit can outlive a process that died before deleting it). Each app registers a
`FileOwner` from its `AppConfig.ready()` (or a module it imports): the folders its files
live in and which of a batch of stored names its rows still point to. The sweep deletes
the others once they are older than ORPHAN_MIN_AGE, when no request or job can still be
about to commit their row.
"""

import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from django.core.files.storage import default_storage
from django.utils import timezone

logger = logging.getLogger(__name__)

# Far longer than storing a file and committing its row can take.
ORPHAN_MIN_AGE = timedelta(hours=6)
BATCH = 500


@dataclass(frozen=True)
class FileOwner:
    name: str
    prefixes: tuple[str, ...]
    # Of these stored names, return those a row still points to (or still needs).
    referenced: Callable[[list[str]], set[str]]


_owners: dict[str, FileOwner] = {}


def register_file_owner(owner: FileOwner) -> None:
    """Add the folders an app stores files in; registering a name twice replaces it."""
    _owners[owner.name] = owner


def file_owners() -> list[FileOwner]:
    return sorted(_owners.values(), key=lambda owner: owner.name)


def _is_s3() -> bool:
    return hasattr(default_storage, "bucket") and hasattr(default_storage, "_normalize_name")


def list_files(prefix: str) -> Iterator[tuple[str, datetime]]:
    """Yield (name, last modified) of every file under a folder, in pages (S3: one LIST each)."""
    prefix = prefix.rstrip("/")
    if _is_s3():
        from storages.utils import clean_name

        location = default_storage.location.strip("/")
        start = len(location) + 1 if location else 0
        key_prefix = default_storage._normalize_name(clean_name(prefix)) + "/"
        for obj in default_storage.bucket.objects.filter(Prefix=key_prefix):
            yield obj.key[start:], obj.last_modified
        return
    root = Path(default_storage.path(prefix))
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = Path(folder, name)
            try:
                modified = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
            except FileNotFoundError:
                continue
            yield path.relative_to(default_storage.path("")).as_posix(), modified


def orphan_files_sweep(
    *, owners: Iterable[str] | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """Delete old files no row points to, for every registered owner (or those named)."""
    cutoff = (now or timezone.now()) - ORPHAN_MIN_AGE
    wanted = set(owners) if owners is not None else None
    removed: list[str] = []
    for owner in file_owners():
        if wanted is not None and owner.name not in wanted:
            continue
        removed += _sweep_owner(owner, cutoff)
    if removed:
        logger.info("orphaned files deleted count=%s", len(removed))
    return {"deleted": removed}


def _sweep_owner(owner: FileOwner, cutoff: datetime) -> list[str]:
    removed: list[str] = []
    batch: list[str] = []
    for prefix in owner.prefixes:
        for name, modified in list_files(prefix):
            if modified > cutoff:
                continue
            batch.append(name)
            if len(batch) >= BATCH:
                removed += _delete_unreferenced(owner, batch)
                batch = []
    removed += _delete_unreferenced(owner, batch)
    return removed


def _delete_unreferenced(owner: FileOwner, batch: list[str]) -> list[str]:
    if not batch:
        return []
    kept = owner.referenced(batch)
    orphans = [name for name in batch if name not in kept]
    for name in orphans:
        default_storage.delete(name)
        logger.info("orphaned file deleted owner=%s name=%s", owner.name, name)
    return orphans
