"""One ffmpeg process writes the MP4, the 480p proxy and the thumbnail.

A source that already is web-ready H.264 (see `MediaPolicy.can_remux`) takes the fast
path: its streams are copied into a faststart MP4 untouched, and only the proxy and the
thumbnail are encoded. Anything else is decoded once and encoded to all three outputs.
"""

import os
import select
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings

from . import confine
from .errors import MediaError, TranscodeCancelled
from .ffmpeg import ffmpeg_binary, ffmpeg_reason, input_arg, input_options
from .policy import MediaPolicy
from .probe import VideoMetadata
from .threads import cores, ffmpeg_threads

MAIN_NAME = "video.mp4"
PROXY_NAME = "proxy.mp4"
THUMBNAIL_NAME = "thumbnail.jpg"
PROXY_MAX_HEIGHT = 480
PROXY_FPS = 10
THUMBNAIL_AT_SECONDS = 1.0
# veryfast is x264's knee on a small CPU budget: ~2-3x faster than `medium` for a few percent
# more bits at the same CRF; slower presets would stall the upload queue on 2 cores.
X264_PRESET = "veryfast"
MAIN_CRF = 23  # x264's default: visually transparent for typical uploads.
PROXY_CRF = 28  # The proxy is for scrubbing/previews, so size matters more than fidelity.
MAIN_AUDIO_BITRATE = "128k"
PROXY_AUDIO_BITRATE = "64k"
CANCEL_POLL_SECONDS = 0.5
# On SIGTERM ffmpeg flushes its encoders and rewrites for faststart, work that a cancel throws
# away, so it only gets a moment before being killed.
TERMINATE_GRACE_SECONDS = 1.0
STDERR_TAIL_BYTES = 16_384
# Outputs may not grow past this multiple of the source (or the floor, for tiny sources):
# a sane encode of anything the policy admits stays far below it.
OUTPUT_SIZE_FACTOR = 4
OUTPUT_SIZE_FLOOR = 256 * 1024 * 1024


@dataclass(frozen=True)
class Renditions:
    """Paths of the files produced by one transcode, and whether the video was copied."""

    mp4: Path
    proxy: Path
    thumbnail: Path
    remuxed: bool = False

    def paths(self) -> tuple[Path, Path, Path]:
        return self.mp4, self.proxy, self.thumbnail


def transcode(
    src: Path,
    out_dir: Path,
    *,
    metadata: VideoMetadata,
    policy: MediaPolicy | None = None,
    thumbnail_at: float | None = None,
    on_progress: Callable[[float], None] | None = None,
    should_cancel: Callable[[], bool] | None = None,
    threads: int | None = None,
) -> Renditions:
    """Read src once and write video.mp4, proxy.mp4 and thumbnail.jpg into out_dir."""
    policy = policy or MediaPolicy.from_settings()
    src, out_dir = Path(src).absolute(), Path(out_dir).absolute()
    out_dir.mkdir(parents=True, exist_ok=True)
    remux = policy.can_remux(metadata)
    final = Renditions(
        out_dir / MAIN_NAME, out_dir / PROXY_NAME, out_dir / THUMBNAIL_NAME, remuxed=remux
    )
    # ffmpeg finalises outputs even when stopped, so write under temporary names and only
    # expose files that are complete.
    parts = Renditions(*(p.with_name(f".{p.name}.part") for p in final.paths()), remuxed=remux)
    command = build_command(
        src,
        parts,
        metadata,
        threads or ffmpeg_threads(),
        policy=policy,
        thumbnail_at=thumbnail_at,
    )
    try:
        _run(command, src, out_dir, metadata.duration, on_progress, should_cancel)
        _check_outputs(parts)
        for part, dest in zip(parts.paths(), final.paths(), strict=True):
            os.replace(part, dest)
    except BaseException:
        for path in (*parts.paths(), *final.paths()):
            path.unlink(missing_ok=True)
        raise
    if on_progress:
        on_progress(100.0)
    return final


def build_command(
    src: Path,
    outputs: Renditions,
    metadata: VideoMetadata,
    threads: int,
    *,
    policy: MediaPolicy,
    thumbnail_at: float | None = None,
) -> list[str]:
    """Return the ffmpeg argv that writes all three renditions from one read of src."""
    count = str(threads)
    width, height = policy.output_size(metadata)
    main = (
        _copy_args(outputs.mp4, metadata)
        if outputs.remuxed
        else _main_args(outputs.mp4, metadata, count)
    )
    return [
        ffmpeg_binary(),
        *("-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-y"),
        *("-progress", "pipe:1"),
        *("-threads", count, *input_options(metadata.container), "-i", input_arg(src)),
        *("-filter_complex_threads", count),
        *(
            "-filter_complex",
            filter_graph(metadata, (width, height), outputs.remuxed, thumbnail_at),
        ),
        *main,
        *_proxy_args(outputs.proxy, metadata, count),
        *_thumbnail_args(outputs.thumbnail),
    ]


def thumbnail_time(duration: float, at: float | None = None) -> float:
    """Return when to grab the thumbnail: `at` if given, else 1 s in (mid-clip if shorter)."""
    if at is not None and 0 <= at < duration:
        return at
    return THUMBNAIL_AT_SECONDS if duration >= THUMBNAIL_AT_SECONDS else duration / 2


def filter_graph(
    metadata: VideoMetadata,
    size: tuple[int, int],
    remux: bool = False,
    thumbnail_at: float | None = None,
) -> str:
    """Return the filtergraph splitting one decoded stream into main, proxy and still.

    The main branch is scaled to `size` (even, within the policy's height); on the fast
    path the main MP4 is a stream copy, so only the proxy and the still remain.
    """
    width, height = size
    # ffmpeg has already applied the display rotation (autorotate) before this graph runs.
    at = thumbnail_time(metadata.duration, thumbnail_at)
    proxy = f"fps={PROXY_FPS}:eof_action=pass,scale=-2:'min({PROXY_MAX_HEIGHT},ih)'"
    if remux:
        branches = ["[0:v:0]split=2[small][thumb]", f"[small]format=yuv420p,{proxy}[proxy]"]
    else:
        branches = [
            "[0:v:0]split=2[full][thumb]",
            f"[full]scale={width}:{height},format=yuv420p,split=2[main][small]",
            f"[small]{proxy}[proxy]",
        ]
    # The still keeps the source's size, unless the policy made the main rendition smaller.
    capped = height < metadata.display_height // 2 * 2
    still_scale = f",scale={width}:{height}" if capped else ""
    return ";".join(
        [
            *branches,
            # tpad clones the last frame past `at` in case the picture ends early (a longer audio
            # track sets the duration); trim closes the branch after one frame so it costs nothing.
            f"[thumb]tpad=stop_mode=clone:stop_duration={at + 1:.3f},select='gte(t,{at:.3f})',"
            f"trim=end_frame=1,setpts=PTS-STARTPTS{still_scale}[still]",
        ]
    )


def _copy_args(path: Path, metadata: VideoMetadata) -> list[str]:
    """Return the output options that copy the source's streams into a faststart MP4."""
    audio = ["-map", "0:a:0"] if metadata.has_audio else []
    return ["-map", "0:v:0", *audio, "-c", "copy", *_mp4_args(path)]


def _main_args(path: Path, metadata: VideoMetadata, threads: str) -> list[str]:
    """Return the output options for the full-size MP4."""
    return [
        *("-map", "[main]", *_audio_args(metadata, MAIN_AUDIO_BITRATE)),
        *_x264_args(MAIN_CRF, threads),
        # Keep the source's timestamps: forcing CFR would duplicate frames of VFR phone clips.
        *("-fps_mode", "vfr"),
        *_mp4_args(path),
    ]


def _proxy_args(path: Path, metadata: VideoMetadata, threads: str) -> list[str]:
    """Return the output options for the small, low frame rate proxy MP4."""
    return [
        *("-map", "[proxy]", *_audio_args(metadata, PROXY_AUDIO_BITRATE)),
        *_x264_args(PROXY_CRF, threads),
        # A keyframe every second keeps scrubbing through the proxy snappy.
        *("-g", str(PROXY_FPS)),
        *_mp4_args(path),
    ]


def _thumbnail_args(path: Path) -> list[str]:
    """Return the output options for the single JPEG frame."""
    return [
        *("-map", "[still]", "-frames:v", "1", "-q:v", "3"),
        *("-update", "1", "-f", "image2", str(path)),
    ]


def _audio_args(metadata: VideoMetadata, bitrate: str) -> list[str]:
    """Return audio mapping and AAC options, or nothing when the source is silent."""
    if not metadata.has_audio:
        return []
    return ["-map", "0:a:0", "-c:a", "aac", "-b:a", bitrate]


def _x264_args(crf: int, threads: str) -> list[str]:
    """Return the H.264 encoder options shared by both encoded MP4 outputs."""
    return ["-c:v", "libx264", "-preset", X264_PRESET, "-crf", str(crf), "-threads", threads]


def _mp4_args(path: Path) -> list[str]:
    """Return the muxer options shared by both MP4 outputs."""
    # Strip container metadata: phone uploads carry GPS location and device details.
    return [
        *("-map_metadata", "-1", "-map_chapters", "-1"),
        *("-movflags", "+faststart", "-f", "mp4", str(path)),
    ]


def run_limits(src: Path) -> confine.Limits:
    """Return the limits of one transcode of src: the job's time on every core, sane sizes."""
    return confine.limits(
        cpu_seconds=settings.VIDEO_TASK_TIME_LIMIT * cores(),
        file_bytes=max(OUTPUT_SIZE_FACTOR * src.stat().st_size, OUTPUT_SIZE_FLOOR),
    )


def _run(
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


def _check_outputs(parts: Renditions) -> None:
    """Raise MediaError if ffmpeg exited cleanly without producing every file."""
    for path in parts.paths():
        if not _non_empty(path):
            raise MediaError("The video could not be converted: no frames could be decoded.")


def _non_empty(path: Path) -> bool:
    """Tell whether path exists and has content."""
    return path.exists() and path.stat().st_size > 0
