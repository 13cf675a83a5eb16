"""Run a transcode's ffmpeg: confined and bounded, its progress followed, cancellable.

ffmpeg reports progress on stdout (`-progress pipe:1`); each new whole percent goes to the
caller, and `should_cancel` is polled at least every CANCEL_POLL_SECONDS, so a cancel stops
ffmpeg (and its whole process group) within a second.
"""

import os
import select
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from django.conf import settings

from . import confine
from .errors import MediaError, TranscodeCancelled
from .ffmpeg import ffmpeg_reason
from .threads import cores

CANCEL_POLL_SECONDS = 0.5
# On SIGTERM ffmpeg flushes its encoders and rewrites for faststart, work that a cancel throws
# away, so it only gets a moment before being killed.
TERMINATE_GRACE_SECONDS = 1.0
STDERR_TAIL_BYTES = 16_384
# Outputs may not grow past this multiple of the source (or the floor, for tiny sources):
# a sane encode of anything the policy admits stays far below it.
OUTPUT_SIZE_FACTOR = 4
OUTPUT_SIZE_FLOOR = 256 * 1024 * 1024


def run_limits(src: Path) -> confine.Limits:
    """Return the limits of one transcode of src: the job's time on every core, sane sizes."""
    return confine.limits(
        cpu_seconds=settings.VIDEO_TASK_TIME_LIMIT * cores(),
        file_bytes=max(OUTPUT_SIZE_FACTOR * src.stat().st_size, OUTPUT_SIZE_FLOOR),
    )


def run(
    command: list[str],
    src: Path,
    out_dir: Path,
    duration: float,
    on_progress: Callable[[float], None] | None,
    should_cancel: Callable[[], bool] | None,
) -> None:
    """Run ffmpeg confined, report progress, honour cancellation and raise MediaError on failure."""
    # stderr goes to a file, not a pipe, so a chatty ffmpeg can never block on it.
    with tempfile.TemporaryFile() as stderr:
        proc = confine.start(
            command,
            limits=run_limits(src),
            read_only=[src],
            writable=[out_dir],
            stdout=subprocess.PIPE,
            stderr=stderr,
        )
        try:
            _follow(proc, _progress_reporter(duration, on_progress), should_cancel)
        finally:
            confine.stop(proc, grace=TERMINATE_GRACE_SECONDS)
            if proc.stdout:
                proc.stdout.close()
        if proc.returncode != 0:
            reason = confine.death_reason(proc.returncode) or ffmpeg_reason(_tail(stderr))
            raise MediaError(f"The video could not be converted: {reason}.")


def _follow(
    proc: subprocess.Popen[bytes],
    report: Callable[[str], None],
    should_cancel: Callable[[], bool] | None,
) -> None:
    """Read ffmpeg's -progress lines until it exits, polling should_cancel as we go."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    pending = b""
    while True:
        # Once per progress block (ffmpeg writes one every 0.5 s) or per quiet poll interval.
        if should_cancel and should_cancel():
            raise TranscodeCancelled("The transcode was cancelled.")
        # select() with a timeout keeps cancellation responsive even if ffmpeg goes quiet.
        ready, _, _ = select.select([fd], [], [], CANCEL_POLL_SECONDS)
        if not ready:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        *lines, pending = (pending + chunk).split(b"\n")
        for line in lines:
            report(line.decode("ascii", "replace").strip())
    proc.wait()


def _progress_reporter(
    duration: float, on_progress: Callable[[float], None] | None
) -> Callable[[str], None]:
    """Return a -progress line handler that calls on_progress on each new whole percent."""
    last = -1

    def report(line: str) -> None:
        nonlocal last
        key, _, value = line.partition("=")
        # out_time_ms is ffmpeg's older name for the same microsecond value.
        if key not in ("out_time_us", "out_time_ms") or not value.isdigit():
            return
        if on_progress is None or duration <= 0:
            return
        # 100 is reported only once every output is safely in place.
        percent = min(99, int(int(value) / 1_000_000 / duration * 100))
        if percent > last:
            last = percent
            on_progress(float(percent))

    return report


def _tail(file: IO[bytes]) -> str:
    """Return the last few KB of ffmpeg's stderr."""
    size = file.seek(0, os.SEEK_END)
    file.seek(max(0, size - STDERR_TAIL_BYTES))
    return file.read().decode("utf-8", "replace")
