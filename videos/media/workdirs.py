"""Scratch folders of video jobs, and sweeping the ones whose process died.

A job works in `{VIDEO_WORK_DIR or the system temp}/reelhouse-video-<label>-<random>/` and
holds an exclusive lock on the `.lock` file inside for as long as it runs. The kernel drops
the lock when the process dies, however it dies (hard time limit, SIGKILL, OOM killer),
so a folder whose lock can be taken belongs to nobody: `sweep()` removes it. It runs at
the start of every video job (so each video host cleans up after itself) and periodically
(`videos: sweep work folders`).
"""

import fcntl
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

PREFIX = "reelhouse-video-"
LOCK_NAME = ".lock"
# A folder younger than this may not hold its lock yet (mkdtemp, then lock), so it is left.
MIN_AGE_SECONDS = 60


def root() -> Path:
    """Return the folder the work folders live in."""
    return Path(settings.VIDEO_WORK_DIR or tempfile.gettempdir())


@contextmanager
def work_dir(label: str) -> Iterator[Path]:
    """Create a locked work folder, yield it, and remove it afterwards."""
    base = root()
    base.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{label}-", dir=base))
    fd = os.open(path / LOCK_NAME, os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


def sweep(*, min_age_seconds: float = MIN_AGE_SECONDS) -> list[str]:
    """Remove work folders whose process is gone; return their names."""
    removed = []
    cutoff = time.time() - min_age_seconds
    for path in root().glob(f"{PREFIX}*"):
        try:
            if not path.is_dir() or path.stat().st_mtime > cutoff:
                continue
        except FileNotFoundError:
            continue
        if _abandoned(path):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path.name)
    if removed:
        logger.info("video work folders swept count=%s names=%s", len(removed), removed)
    return removed


def _abandoned(path: Path) -> bool:
    """Tell whether no living process holds the folder's lock (taking it if so)."""
    try:
        fd = os.open(path / LOCK_NAME, os.O_RDONLY)
    except FileNotFoundError:
        return True  # died between creating the folder and locking it
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True
