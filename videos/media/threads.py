"""How many threads one ffmpeg run uses: the host's cores shared among the worker's encodes.

A video worker started with `-c N` runs up to N encodes at once, so each gets cores / N
threads (VIDEO_FFMPEG_THREADS=0, the default); the usual `-c 1` video worker gives its
one encode every core. Outside a worker (a shell, a benchmark) an encode gets them all.
"""

import os

from django.conf import settings

_worker_concurrency = 1


def remember_worker_concurrency(sender: object, **kwargs: object) -> None:
    """Note how many tasks this worker runs at once (a Celery `worker_init` receiver).

    Received in the worker's main process before its pool processes fork, so they inherit it.
    """
    global _worker_concurrency
    concurrency = getattr(sender, "max_concurrency", None) or getattr(sender, "concurrency", 1)
    _worker_concurrency = max(1, int(concurrency or 1))


def cores() -> int:
    """Return the CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def ffmpeg_threads() -> int:
    """Return the threads for one encode: VIDEO_FFMPEG_THREADS, or cores / worker concurrency."""
    if settings.VIDEO_FFMPEG_THREADS > 0:
        return settings.VIDEO_FFMPEG_THREADS
    return max(1, cores() // _worker_concurrency)
