"""Files without a video: stored originals and renditions whose row never committed.

Files are written before the row that points at them (never inside a transaction), so a
process that dies in between leaves a file with no row; a rendition stored while its
video was being deleted is the same. The videos app registers its folders with the
jobs app's orphan sweep (`jobs.orphans`), which deletes such files once they are old
enough that no request or job can still be about to commit their row.
"""

from datetime import datetime
from typing import Any

from jobs.orphans import ORPHAN_MIN_AGE, FileOwner, orphan_files_sweep, register_file_owner
from videos import storage
from videos.models import Video

__all__ = ["ORPHAN_MIN_AGE", "video_orphans_sweep"]

OWNER = "videos"


def _referenced(names: list[str]) -> set[str]:
    ids = {name: storage.video_id_of(name) for name in names}
    existing = set(
        Video.objects.filter(pk__in={i for i in ids.values() if i}).values_list("pk", flat=True)
    )
    # A name that is not a managed video key is not ours to judge: keep it.
    return {name for name, video_id in ids.items() if video_id is None or video_id in existing}


register_file_owner(
    FileOwner(
        name=OWNER,
        prefixes=(storage.ORIGINALS_PREFIX, storage.PROCESSED_PREFIX),
        referenced=_referenced,
    )
)


def video_orphans_sweep(*, now: datetime | None = None) -> dict[str, Any]:
    """Delete files under originals/ and processed/ whose video does not exist."""
    with storage.storage_errors():
        return orphan_files_sweep(owners=[OWNER], now=now)
