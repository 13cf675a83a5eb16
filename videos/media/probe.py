"""Read video metadata with ffmpeg and reject files the pipeline cannot process."""

import functools
import re
import struct
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import imageio_ffmpeg

from .errors import MediaError
from .sniff import SNIFF_BYTES, ebml_segment_end, sniff_container

PROBE_TIMEOUT_SECONDS = 120
NOT_A_VIDEO = "The file is not a video we can read ({reason})."
CORRUPT = "The video file is truncated or corrupt: {reason}."

_STREAM_RE = re.compile(r"^\s*Stream #\d+:\d+\S*?: (\w+): (.*)$")
_DURATION_RE = re.compile(r"^\s*Duration: (?:(\d+):(\d+):(\d+(?:\.\d+)?)|N/A)")
_BITRATE_RE = re.compile(r"bitrate: (\d+) kb/s")
_SIZE_RE = re.compile(r", (\d+)x(\d+)\b")
_FPS_RE = re.compile(r"(\d+(?:\.\d+)?) fps")
_TBR_RE = re.compile(r"(\d+(?:\.\d+)?)(k?) tbr")
_DISPLAYMATRIX_RE = re.compile(r"displaymatrix: rotation of (-?\d+(?:\.\d+)?) degrees")
_ROTATE_TAG_RE = re.compile(r"^\s*rotate\s*:\s*(-?\d+(?:\.\d+)?)\s*$")
_CONTEXT_RE = re.compile(r"^\[(?P<ctx>[^\]]+?) @ 0x[0-9a-f]+\]\s*(?P<msg>.*)$")
# ffmpeg's own plumbing contexts only repeat what the demuxer/decoder/encoder already said.
_WRAPPER_CTX_RE = re.compile(r"^(in|out|[vasd]ist|[vasd]ost|fc|vf|af|dec|enc)#")
_NOISE = (
    "misdetection possible",
    "Last message repeated",
    "Conversion failed",
    "Error opening input file",
    "Error opening output file",
    "At least one output file",
)
_MAX_TOP_LEVEL_BOXES = 10_000


@dataclass(frozen=True)
class VideoMetadata:
    """Facts about a source video needed to transcode and display it."""

    duration: float
    width: int
    height: int
    rotation: int
    fps: float
    video_codec: str
    audio_codec: str | None
    bitrate: int | None
    has_audio: bool

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


@dataclass(frozen=True)
class _Stream:
    kind: str
    description: str
    details: tuple[str, ...]


@functools.cache
def ffmpeg_binary() -> str:
    """Return the ffmpeg executable bundled with imageio-ffmpeg (IMAGEIO_FFMPEG_EXE overrides)."""
    return imageio_ffmpeg.get_ffmpeg_exe()


def input_arg(path: Path) -> str:
    """Return an ffmpeg input argument that can only ever mean a local file."""
    return "file:" + str(Path(path).absolute())


def ffmpeg_reason(stderr: str) -> str:
    """Return the most specific error line from ffmpeg's stderr, without log prefixes."""
    specific: list[str] = []
    generic: list[str] = []
    for raw in stderr.splitlines():
        line = raw.strip()
        if not line or any(noise in line for noise in _NOISE):
            continue
        match = _CONTEXT_RE.match(line)
        if match and not _WRAPPER_CTX_RE.match(match["ctx"]):
            specific.append(match["msg"])
        else:
            generic.append((match["msg"] if match else line).rsplit(": ", 1)[-1])
    candidates = specific or generic
    reason = candidates[-1].strip().rstrip(".") if candidates else "ffmpeg could not read it"
    return reason[:160]


def probe(path: str | Path) -> VideoMetadata:
    """Return the metadata of a video file, or raise MediaError explaining why it is unusable."""
    path = Path(path)
    container, head = _sniff_file(path)
    _check_not_truncated(path, container, head)
    info = _run_ffmpeg_info(path)
    if not re.search(r"^Input #0", info, re.MULTILINE):
        raise MediaError(CORRUPT.format(reason=ffmpeg_reason(info)))
    streams = _parse_streams(info)
    video = next((s for s in streams if _is_picture_stream(s)), None)
    if video is None:
        raise MediaError(NOT_A_VIDEO.format(reason="no video stream found"))
    audio = next((s for s in streams if s.kind == "Audio"), None)
    duration = _container_duration(info) or _packet_duration(path)
    if duration <= 0:
        raise MediaError("The video is empty (its duration is zero).")
    width, height = _frame_size(video)
    bitrate = _BITRATE_RE.search(info)
    return VideoMetadata(
        duration=duration,
        width=width,
        height=height,
        rotation=_rotation(video),
        fps=_frame_rate(video),
        video_codec=_codec(video),
        audio_codec=_codec(audio) if audio else None,
        bitrate=int(bitrate[1]) * 1000 if bitrate else None,
        has_audio=audio is not None,
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


def _run_ffmpeg(args: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ffmpeg with args and return its captured output."""
    cmd = [ffmpeg_binary(), "-hide_banner", "-nostdin", *args]
    try:
        return subprocess.run(
            cmd, capture_output=True, text=True, errors="replace", timeout=PROBE_TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired as exc:
        raise MediaError(CORRUPT.format(reason="reading the file timed out")) from exc


def _run_ffmpeg_info(path: Path) -> str:
    """Return the stream description ffmpeg prints for the file."""
    return _run_ffmpeg(["-i", input_arg(path)]).stderr


def _packet_duration(path: Path) -> float:
    """Return the duration found by reading every video packet (for files without a header)."""
    args = ["-loglevel", "error", "-nostats", "-progress", "pipe:1", "-i", input_arg(path)]
    result = _run_ffmpeg([*args, "-map", "0:v:0", "-c", "copy", "-f", "null", "-"])
    times = re.findall(r"^out_time_us=(\d+)$", result.stdout, re.MULTILINE)
    return int(times[-1]) / 1_000_000 if times else 0.0


def _parse_streams(info: str) -> list[_Stream]:
    """Split `ffmpeg -i` output into streams with their indented detail lines."""
    streams: list[_Stream] = []
    current: tuple[str, str, list[str]] | None = None
    for line in info.splitlines():
        match = _STREAM_RE.match(line)
        if match:
            if current:
                streams.append(_Stream(current[0], current[1], tuple(current[2])))
            current = (match[1], match[2], [])
        elif current and line.startswith("    "):
            current[2].append(line)
        elif current and not line.startswith(" "):
            break
    if current:
        streams.append(_Stream(current[0], current[1], tuple(current[2])))
    return streams


def _is_picture_stream(stream: _Stream) -> bool:
    """Tell whether a stream is real video rather than cover art."""
    return stream.kind == "Video" and "(attached pic)" not in stream.description


def _container_duration(info: str) -> float | None:
    """Return the duration from the container header, or None if it has none."""
    for line in info.splitlines():
        match = _DURATION_RE.match(line)
        if match:
            if match[1] is None:
                return None
            return int(match[1]) * 3600 + int(match[2]) * 60 + float(match[3])
    return None


def _frame_size(video: _Stream) -> tuple[int, int]:
    """Return the coded width and height of a video stream."""
    match = _SIZE_RE.search(video.description)
    if not match or int(match[1]) == 0 or int(match[2]) == 0:
        raise MediaError(NOT_A_VIDEO.format(reason="the video stream has no picture size"))
    return int(match[1]), int(match[2])


def _frame_rate(video: _Stream) -> float:
    """Return the average frame rate, falling back to ffmpeg's tbr guess."""
    match = _FPS_RE.search(video.description)
    if match:
        return float(match[1])
    match = _TBR_RE.search(video.description)
    if match:
        return float(match[1]) * (1000 if match[2] else 1)
    return 0.0


def _rotation(video: _Stream) -> int:
    """Return the clockwise display rotation (0/90/180/270) from side data or a rotate tag."""
    for line in video.details:
        matrix = _DISPLAYMATRIX_RE.search(line)
        if matrix:
            # The display matrix angle is counter-clockwise; the rotate tag is clockwise.
            return _quarter_turns(-float(matrix[1]))
        tag = _ROTATE_TAG_RE.match(line)
        if tag:
            return _quarter_turns(float(tag[1]))
    return 0


def _quarter_turns(degrees: float) -> int:
    """Normalise an angle to the nearest of 0, 90, 180 or 270."""
    return round(degrees / 90) * 90 % 360


def _codec(stream: _Stream) -> str:
    """Return the codec name at the start of a stream description."""
    return stream.description.split(maxsplit=1)[0].rstrip(",") if stream.description else ""
