"""Generate small real test clips (and broken or hostile files) with the system's ffmpeg."""

import struct
import subprocess
from pathlib import Path

from videos.media.ffmpeg import ffmpeg_binary

FFMPEG = ffmpeg_binary()

# Fast encoders per container so clip generation stays a fraction of the test run.
_CODECS = {
    ".mp4": (["-c:v", "libx264", "-preset", "ultrafast"], ["-c:a", "aac"]),
    ".mov": (["-c:v", "libx264", "-preset", "ultrafast"], ["-c:a", "aac"]),
    ".mkv": (["-c:v", "libx264", "-preset", "ultrafast"], ["-c:a", "aac"]),
    ".avi": (["-c:v", "mpeg4", "-q:v", "5"], ["-c:a", "libmp3lame"]),
    ".webm": (["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8"], ["-c:a", "libopus"]),
}


def ffmpeg(*args: str) -> str:
    """Run ffmpeg quietly, fail loudly, and return its stdout."""
    command = [FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return result.stdout


def make_clip(
    path: Path,
    *,
    seconds: float = 1.5,
    size: str = "320x240",
    fps: int = 25,
    audio: bool = True,
    video_args: list[str] | None = None,
    output_args: list[str] | None = None,
) -> Path:
    """Encode a testsrc2 (+ sine) clip; the codecs follow the file extension."""
    video_codec, audio_codec = _CODECS[path.suffix]
    inputs = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}:duration={seconds}"]
    if audio:
        inputs += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
    ffmpeg(
        *inputs,
        *(video_args or video_codec),
        *(audio_codec if audio else []),
        *("-pix_fmt", "yuv420p"),
        *(output_args or []),
        str(path),
    )
    return path


def make_rotated_clip(path: Path, *, rotation: int = 90, size: str = "320x240") -> Path:
    """Make a phone-style clip: landscape pixels plus a clockwise display rotation."""
    landscape = make_clip(path.with_name(f"landscape-{path.name}"), size=size)
    # The display matrix turns counter-clockwise; phones mean "rotate 90" clockwise. ffmpeg
    # 5.1 writes a `rotate` tag into the matrix as given (6.0+ has -display_rotation).
    counter_clockwise = str(-rotation % 360)
    ffmpeg(
        *("-i", str(landscape), "-c", "copy"),
        *("-metadata:s:v:0", f"rotate={counter_clockwise}", str(path)),
    )
    return path


def make_odd_sized_clip(path: Path, *, size: str = "321x241") -> Path:
    """Make an MPEG-4 Part 2 AVI with odd dimensions (x264 refuses odd 4:2:0 sizes)."""
    width, height = size.split("x")
    return make_clip(
        path.with_suffix(".avi"),
        audio=False,
        video_args=["-vf", f"scale={width}:{height},setsar=1", "-c:v", "mpeg4", "-q:v", "5"],
    )


def make_vfr_clip(path: Path) -> Path:
    """Make a 60-frame clip that runs at 30 fps for 1 s, then at 10 fps for 3 s."""
    ffmpeg(
        *("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30:duration=2"),
        *("-vf", "setpts='if(lt(N,30),N/30,1+(N-30)/10)/TB'", "-fps_mode", "vfr"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)),
    )
    return path


def make_headerless_webm(path: Path, *, seconds: float = 1.5) -> Path:
    """Make a WebM written to a pipe, like a browser recording: no duration in the header."""
    data = subprocess.run(
        [
            *(FFMPEG, "-hide_banner", "-nostdin", "-loglevel", "error"),
            *("-f", "lavfi", "-i", f"testsrc2=size=320x240:rate=25:duration={seconds}"),
            *_CODECS[".webm"][0],
            *("-f", "webm", "pipe:1"),
        ],
        capture_output=True,
        check=True,
    ).stdout
    path.write_bytes(data)
    return path


def make_audio_only_mp4(path: Path) -> Path:
    """Make an MP4 holding only an AAC track."""
    ffmpeg("-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", str(path))
    return path


def make_frameless_avi(path: Path) -> Path:
    """Make an AVI that declares a video stream but holds no frames (zero duration)."""
    ffmpeg(
        "-f",
        "lavfi",
        "-i",
        "testsrc2=size=320x240:rate=25",
        "-frames:v",
        "0",
        "-c:v",
        "mpeg4",
        str(path),
    )
    return path


def make_text_file(path: Path) -> Path:
    """Write plain text under a video-looking name."""
    path.write_text("This is definitely not a video.\n" * 200)
    return path


def make_empty_file(path: Path) -> Path:
    """Write a zero-byte file."""
    path.write_bytes(b"")
    return path


def truncate(src: Path, dst: Path, *, keep: float = 0.5) -> Path:
    """Copy the first `keep` fraction of src to dst, like an interrupted upload."""
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * keep)])
    return dst


def cut_tail(src: Path, dst: Path, *, nbytes: int) -> Path:
    """Copy src to dst without its last nbytes."""
    dst.write_bytes(src.read_bytes()[:-nbytes])
    return dst


def pad_to(src: Path, dst: Path, *, size: int) -> Path:
    """Copy an MP4 followed by a `free` box, so that dst is `size` bytes and still valid."""
    data = src.read_bytes()
    pad = size - len(data)
    dst.write_bytes(data + struct.pack(">I4s", pad, b"free") + bytes(pad - 8))
    return dst


def drop_boxes(src: Path, dst: Path, *, kinds: set[str]) -> Path:
    """Copy an MP4 leaving out top-level boxes of the given kinds (e.g. a recorder crash)."""
    data = src.read_bytes()
    kept = [data[start:end] for kind, start, end in _boxes(data) if kind not in kinds]
    dst.write_bytes(b"".join(kept))
    return dst


def top_level_boxes(path: Path) -> list[str]:
    """List the kinds of the top-level ISO BMFF boxes, in file order."""
    return [kind for kind, _, _ in _boxes(path.read_bytes())]


def _boxes(data: bytes) -> list[tuple[str, int, int]]:
    """Return (kind, start, end) for each top-level box."""
    boxes, pos = [], 0
    while pos + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if size == 1:
            (size,) = struct.unpack(">Q", data[pos + 8 : pos + 16])
        elif size == 0:
            size = len(data) - pos
        boxes.append((kind.decode("latin-1"), pos, pos + size))
        pos += size
    return boxes


def extract_frame(src: Path, dst: Path, *, at: float) -> Path:
    """Decode the frame at `at` seconds (autorotated) into dst, as a reference image."""
    ffmpeg("-ss", str(at), "-i", str(src), "-frames:v", "1", "-update", "1", str(dst))
    return dst


def count_video_frames(path: Path) -> int:
    """Count the video frames a player would show (decoded, edit lists applied)."""
    out = ffmpeg("-i", str(path), "-map", "0:v:0", "-f", "framecrc", "-")
    return sum(1 for line in out.splitlines() if line and not line.startswith("#"))


def stream_report(path: Path) -> str:
    """Return the `ffmpeg -i` description of a file (streams, metadata, side data)."""
    command = [FFMPEG, "-hide_banner", "-nostdin", "-i", str(path)]
    return subprocess.run(command, capture_output=True, text=True, check=False).stderr


# --- Hostile samples: tiny files that claim enormous work -------------------------------


def make_huge_frame_clip(path: Path, *, size: str = "8192x8192") -> Path:
    """Make a ~200 KB MP4 holding one black frame of `size` pixels."""
    ffmpeg(
        *("-f", "lavfi", "-i", f"color=c=black:s={size}:r=1:d=1"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)),
    )
    return path


def make_long_clip(path: Path, *, hours: float = 10) -> Path:
    """Make a few-KB video that lasts `hours`: one tiny frame every ten minutes."""
    seconds = int(hours * 3600)
    ffmpeg(
        *("-f", "lavfi", "-i", f"color=c=black:s=64x64:r=1/600:d={seconds}"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)),
    )
    return path


def make_playlist_named_video(path: Path) -> Path:
    """Write an HLS playlist that points at a local file, under a video's name."""
    path.write_text("#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\nfile:///etc/passwd\n")
    return path


def make_web_ready_clip(path: Path, *, seconds: float = 2, size: str = "320x240") -> Path:
    """Make what a video editor exports for the web: H.264 High, yuv420p, AAC, modest bitrate."""
    return make_clip(
        path,
        seconds=seconds,
        size=size,
        video_args=["-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high", "-crf", "30"],
        output_args=["-movflags", "+faststart"],
    )


def stream_md5(path: Path, stream: str) -> str:
    """Return the MD5 of a stream's packets as stored (e.g. '0:v:0'), without decoding."""
    out = ffmpeg("-i", str(path), "-map", stream, "-c", "copy", "-f", "md5", "-")
    return out.strip()


def make_big_streamable_clip(path: Path, *, seconds: int = 10) -> Path:
    """Make a ~30 MB faststart H.264 MP4 (noise defeats compression): too big to prefetch."""
    ffmpeg(
        *("-f", "lavfi", "-i", f"testsrc2=size=640x360:rate=30:duration={seconds}"),
        *("-vf", "noise=alls=40:allf=t", "-c:v", "libx264", "-preset", "ultrafast"),
        *("-b:v", "24M", "-maxrate", "24M", "-bufsize", "48M", "-g", "30"),
        *("-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path)),
    )
    return path
