"""Read a video's metadata with a confined ffprobe and reject files the pipeline can't process.

ffprobe's JSON gives every field the pipeline needs, typed, in one run: size, rotation,
frame rate, frame count, pixel format, H.264 profile and level (the fast path needs the
level, which `ffmpeg -i` never prints), and which stream is cover art. See
bench/probe.py for why this is not moviepy's parser of `ffmpeg -i` text.
"""

import json
import re
import struct
import subprocess
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from . import confine
from .errors import MediaError
from .ffmpeg import (
    AUDIO_DECODERS,
    VIDEO_DECODERS,
    ffmpeg_binary,
    ffmpeg_reason,
    ffprobe_binary,
    input_arg,
    input_options,
)
from .sniff import SNIFF_BYTES, ebml_segment_end, sniff_container

PROBE_TIMEOUT_SECONDS = 120
# ffprobe only reads; reading every packet of a 3-hour file takes seconds of CPU, not minutes.
PROBE_CPU_SECONDS = 120
PROBE_FILE_BYTES = 1024 * 1024  # it writes no file; a stray one stays tiny
NOT_A_VIDEO = "The file is not a video we can read ({reason})."
CORRUPT = "The video file is truncated or corrupt: {reason}."
UNSUPPORTED_CODEC = (
    "The {kind} is encoded as {codec}, which can't be processed; "
    "export it as H.264, HEVC, VP9 or AV1 video with AAC, MP3 or Opus audio."
)
UNSUPPORTED_STREAM = (
    "The file holds a {codec} stream, which can't be read here; export the video again "
    "with only H.264, HEVC, VP9 or AV1 video and AAC, MP3 or Opus audio."
)
_REFUSED_DECODER_RE = re.compile(r"Codec \((\w+)\) not on whitelist")
_MAX_TOP_LEVEL_BOXES = 10_000


@dataclass(frozen=True)
class VideoMetadata:
    """Facts about a source video needed to check, transcode and display it."""

    duration: float
    width: int
    height: int
    rotation: int
    fps: float
    video_codec: str
    audio_codec: str | None
    bitrate: int | None
    has_audio: bool
    container: str = ""
    pixel_format: str = ""
    profile: str = ""
    level: int | None = None
    frame_count: int = 0
    video_bitrate: int | None = None

    @property
    def display_width(self) -> int:
        """Return the width after applying the display rotation."""
        return self.height if self.rotation in (90, 270) else self.width

    @property
    def display_height(self) -> int:
        """Return the height after applying the display rotation."""
        return self.width if self.rotation in (90, 270) else self.height

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict including the display size."""
        data = asdict(self)
        data["display_width"] = self.display_width
        data["display_height"] = self.display_height
        return data


def probe(path: str | Path, *, timeout: float = PROBE_TIMEOUT_SECONDS) -> VideoMetadata:
    """Return the metadata of a video file, or raise MediaError explaining why it is unusable."""
    path = Path(path)
    container, head = _sniff_file(path)
    _check_not_truncated(path, container, head)
    info = _ffprobe(path, container, timeout)
    streams = info.get("streams") or []
    video = next((s for s in streams if _is_picture_stream(s)), None)
    if video is None:
        raise MediaError(NOT_A_VIDEO.format(reason="no video stream found"))
    audio = next((s for s in streams if s.get("codec_type") == "audio"), None)
    _check_codec(video, VIDEO_DECODERS, "video")
    if audio is not None:
        _check_codec(audio, AUDIO_DECODERS, "audio")
    fmt = info.get("format") or {}
    duration = (
        _number(fmt.get("duration"))
        or _number(video.get("duration"))
        or _packet_duration(path, container, timeout)
    )
    if duration <= 0:
        raise MediaError("The video is empty (its duration is zero).")
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if not width or not height:
        raise MediaError(NOT_A_VIDEO.format(reason="the video stream has no picture size"))
    fps = _rate(video.get("avg_frame_rate")) or _rate(video.get("r_frame_rate"))
    level = int(video.get("level", -99))
    return VideoMetadata(
        duration=duration,
        width=width,
        height=height,
        rotation=_rotation(video),
        fps=round(fps, 3),
        video_codec=video["codec_name"],
        audio_codec=audio["codec_name"] if audio else None,
        bitrate=_int(fmt.get("bit_rate")),
        has_audio=audio is not None,
        container=container,
        pixel_format=video.get("pix_fmt") or "",
        profile=video.get("profile") or "",
        level=level if level > 0 else None,
        frame_count=_int(video.get("nb_frames")) or round(duration * fps),
        video_bitrate=_int(video.get("bit_rate")),
    )


def _sniff_file(path: Path) -> tuple[str, bytes]:
    """Return the container type and head of the file; raise MediaError if empty or unknown."""
    with path.open("rb") as f:
        head = f.read(SNIFF_BYTES)
    if not head:
        raise MediaError("The file is empty.")
    container = sniff_container(head)
    if container is None:
        raise MediaError(NOT_A_VIDEO.format(reason="unrecognised file format"))
    return container, head


def _check_not_truncated(path: Path, container: str, head: bytes) -> None:
    """Raise MediaError when the container's own sizes say the file is cut short."""
    # ffmpeg happily reads the first part of a cut upload, so check the declared sizes.
    if container in ("mp4", "mov"):
        _check_boxes_complete(path)
    segment_end = ebml_segment_end(head) if container in ("mkv", "webm") else None
    if segment_end is not None and segment_end > path.stat().st_size:
        raise MediaError(CORRUPT.format(reason="the Matroska segment is cut off"))


def _check_boxes_complete(path: Path) -> None:
    """Raise MediaError if a top-level moov/mdat box runs past the end of an MP4/MOV file."""
    file_size = path.stat().st_size
    pos = 0
    with path.open("rb") as f:
        for _ in range(_MAX_TOP_LEVEL_BOXES):
            f.seek(pos)
            header = f.read(16)
            if len(header) < 8:
                return
            size, kind = struct.unpack(">I4s", header[:8])
            if size == 1 and len(header) == 16:
                (size,) = struct.unpack(">Q", header[8:])
            if size == 0:
                return
            if size < 8:
                return  # Garbage after the real boxes; let ffmpeg judge the file.
            if pos + size > file_size and kind in (b"moov", b"mdat"):
                box = kind.decode("ascii")
                raise MediaError(CORRUPT.format(reason=f"the {box} box is cut off"))
            pos += size


def _run(argv: list[str], path: Path, timeout: float) -> confine.Completed:
    """Run a confined ffmpeg/ffprobe reading `path`; a run that takes too long is refused."""
    limits = confine.limits(cpu_seconds=PROBE_CPU_SECONDS, file_bytes=PROBE_FILE_BYTES)
    try:
        return confine.run(argv, limits=limits, timeout=timeout, read_only=[path.absolute()])
    except subprocess.TimeoutExpired as exc:
        raise MediaError(CORRUPT.format(reason="reading the file timed out")) from exc


def _ffprobe(path: Path, container: str, timeout: float) -> dict[str, Any]:
    """Return ffprobe's JSON description of the file's format and streams."""
    argv = [
        ffprobe_binary(),
        *("-hide_banner", "-v", "error", *input_options(container)),
        *("-print_format", "json", "-show_format", "-show_streams", input_arg(path)),
    ]
    result = _run(argv, path, timeout)
    try:
        info = json.loads(result.stdout or "{}")
    except ValueError:
        info = {}
    if result.returncode != 0 or not info.get("streams"):
        refused = _REFUSED_DECODER_RE.search(result.stderr)
        if refused:
            raise MediaError(UNSUPPORTED_STREAM.format(codec=refused[1]))
        reason = confine.death_reason(result.returncode) or ffmpeg_reason(result.stderr)
        raise MediaError(CORRUPT.format(reason=reason))
    return info


def _packet_duration(path: Path, container: str, timeout: float) -> float:
    """Return the duration found by reading every video packet (for files without a header)."""
    argv = [
        ffmpeg_binary(),
        *("-hide_banner", "-nostdin", "-loglevel", "error", "-nostats", "-progress", "pipe:1"),
        *input_options(container),
        *("-i", input_arg(path), "-map", "0:v:0", "-c", "copy", "-f", "null", "-"),
    ]
    result = _run(argv, path, timeout)
    prefix = "out_time_us="
    times = [line[len(prefix) :] for line in result.stdout.splitlines() if line.startswith(prefix)]
    micros = [int(t) for t in times if t.isdigit()]
    return micros[-1] / 1_000_000 if micros else 0.0


def _is_picture_stream(stream: dict[str, Any]) -> bool:
    """Tell whether a stream is real video rather than cover art."""
    disposition = stream.get("disposition") or {}
    return stream.get("codec_type") == "video" and not disposition.get("attached_pic")


def _check_codec(stream: dict[str, Any], accepted: dict[str, tuple[str, ...]], kind: str) -> None:
    codec = stream.get("codec_name") or "an unknown codec"
    if codec not in accepted:
        raise MediaError(UNSUPPORTED_CODEC.format(kind=kind, codec=codec))


def _rotation(video: dict[str, Any]) -> int:
    """Return the clockwise display rotation (0/90/180/270) from side data or a rotate tag."""
    for side_data in video.get("side_data_list") or []:
        if "rotation" in side_data:
            # The display matrix angle is counter-clockwise; the rotate tag is clockwise.
            return _quarter_turns(-float(side_data["rotation"]))
    tag = (video.get("tags") or {}).get("rotate")
    return _quarter_turns(float(tag)) if _number(tag) is not None else 0


def _quarter_turns(degrees: float) -> int:
    """Normalise an angle to the nearest of 0, 90, 180 or 270."""
    return round(degrees / 90) * 90 % 360


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and number not in (float("inf"), float("-inf")) else None


def _int(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


def _rate(value: Any) -> float:
    """Return a frame rate such as '30000/1001' as a float (0 when unknown)."""
    try:
        rate = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return 0.0
    return float(rate) if rate > 0 else 0.0
