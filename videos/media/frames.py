"""Grab one frame of a video as a JPEG (a thumbnail at a chosen time), with a confined ffmpeg."""

import subprocess
from pathlib import Path

from . import confine
from .errors import MediaError
from .ffmpeg import ffmpeg_binary, ffmpeg_reason, input_arg, input_options

FRAME_TIMEOUT_SECONDS = 120
FRAME_CPU_SECONDS = 120
FRAME_FILE_BYTES = 64 * 1024 * 1024


def extract_frame(src: Path, dest: Path, *, at: float, container: str = "mp4") -> Path:
    """Write the frame shown at `at` seconds of src to dest (JPEG); raise MediaError if none."""
    src, dest = Path(src).absolute(), Path(dest).absolute()
    partial = dest.with_name(f".{dest.name}.part")
    argv = [
        ffmpeg_binary(),
        *("-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-y"),
        # Seeking before the input is exact when decoding: ffmpeg decodes from the keyframe
        # before `at` and drops frames until it, without reading the whole file.
        *("-ss", f"{at:.3f}", *input_options(container), "-i", input_arg(src)),
        *("-map", "0:v:0", "-frames:v", "1", "-q:v", "3", "-update", "1", "-f", "image2"),
        str(partial),
    ]
    limits = confine.limits(cpu_seconds=FRAME_CPU_SECONDS, file_bytes=FRAME_FILE_BYTES)
    try:
        result = confine.run(
            argv,
            limits=limits,
            timeout=FRAME_TIMEOUT_SECONDS,
            read_only=[src],
            writable=[dest.parent],
        )
        if result.returncode != 0:
            reason = confine.death_reason(result.returncode) or ffmpeg_reason(result.stderr)
            raise MediaError(f"No thumbnail could be made at {at:g} s: {reason}.")
        if not partial.exists() or partial.stat().st_size == 0:
            raise MediaError(f"The video shows no picture at {at:g} s; choose an earlier time.")
        partial.replace(dest)
    except subprocess.TimeoutExpired as exc:
        raise MediaError(f"No thumbnail could be made at {at:g} s: it took too long.") from exc
    finally:
        partial.unlink(missing_ok=True)
    return dest
