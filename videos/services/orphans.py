"""Files without a video: stored originals and renditions whose row never committed.

Files are written before the row that points at them (never inside a transaction), so a
process that dies in between leaves a file with no row; a rendition stored while its
video was being deleted is the same. `video_orphans_sweep` deletes such files once they
are old enough that no request or job can still be about to commit their row.
"""

import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.core.files.storage import default_storage
from django.utils import timezone

from videos import storage
from videos.models import Video

logger = logging.getLogger(__name__)

# Far longer than storing a file and committing its row can take.
ORPHAN_MIN_AGE = timedelta(hours=6)
BATCH = 500


def video_orphans_sweep(*, now: datetime | None = None) -> dict[str, Any]:
    """Delete files under originals/ and processed/ whose video does not exist."""
    cutoff = (now or timezone.now()) - ORPHAN_MIN_AGE
    removed: list[str] = []
    batch: list[tuple[str, uuid.UUID]] = []
    with storage.storage_errors():
        for prefix in (storage.ORIGINALS_PREFIX, storage.PROCESSED_PREFIX):
            for name, modified in storage.list_files(prefix.rstrip("/")):
                video_id = storage.video_id_of(name)
                if video_id is None or modified > cutoff:
                    continue
                batch.append((name, video_id))
                if len(batch) >= BATCH:
                    removed += _delete_rowless(batch)
                    batch = []
        removed += _delete_rowless(batch)
    if removed:
        logger.info("orphaned video files deleted count=%s", len(removed))
    return {"deleted": removed}


def _delete_rowless(batch: list[tuple[str, uuid.UUID]]) -> list[str]:
    ids = {video_id for _name, video_id in batch}
    existing = set(Video.objects.filter(pk__in=ids).values_list("pk", flat=True))
    orphans = [name for name, video_id in batch if video_id not in existing]
    for name in orphans:
        default_storage.delete(name)
    return orphans
