"""Which ffmpeg runs, and how it may open an untrusted file.

Reelhouse runs the system's ffmpeg and ffprobe (Debian's `ffmpeg` package: security
fixes arrive with `apt-get upgrade`), named by FFMPEG_BINARY and FFPROBE_BINARY. Every
untrusted input is opened with the demuxer that content sniffing found (never ffmpeg's
own guess), with only the `file` protocol and only the decoders of the codecs we accept,
so a file can't pull in a playlist, a URL or a decoder with a poor security record.
"""

import functools
import re
import shutil
import subprocess
from pathlib import Path

from django.conf import settings

# Sniffed container (videos.media.sniff) -> the ffmpeg demuxer that reads it.
DEMUXERS = {"mp4": "mov", "mov": "mov", "avi": "avi", "mkv": "matroska", "webm": "matroska"}
# Codecs we accept (as ffprobe names them) -> ffmpeg's decoders for them.
VIDEO_DECODERS = {
    "h264": ("h264",),
    "hevc": ("hevc",),
    "mpeg4": ("mpeg4",),
    "mpeg2video": ("mpeg2video",),
    "mjpeg": ("mjpeg",),
    "prores": ("prores",),
    "vp8": ("vp8",),
    "vp9": ("vp9",),
    "av1": ("libdav1d",),
}
AUDIO_DECODERS = {
    "aac": ("aac",),
    "mp3": ("mp3float", "mp3"),
    "opus": ("opus", "libopus"),
    "vorbis": ("vorbis", "libvorbis"),
    "ac3": ("ac3",),
    "eac3": ("eac3",),
    "flac": ("flac",),
    "alac": ("alac",),
    **{pcm: (pcm,) for pcm in ("pcm_s16le", "pcm_s16be", "pcm_s24le", "pcm_s24be", "pcm_f32le")},
}
# Streams we never process but that ride along in ordinary files: cover art and subtitles.
# ffprobe opens a decoder for every stream and gives up if one is refused, so these are
# allowed for reading the file's description; the pipeline never maps them.
PASSENGER_DECODERS = (
    *("png", "mjpeg"),
    *("mov_text", "subrip", "webvtt", "ass", "dvdsub", "pgssub", "dvbsub"),
)
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


class FFmpegMissing(RuntimeError):
    """ffmpeg or ffprobe is not installed where the settings say."""


def ffmpeg_binary() -> str:
    """Return the absolute path of the ffmpeg to run (FFMPEG_BINARY)."""
    return _resolve(settings.FFMPEG_BINARY, "FFMPEG_BINARY")


def ffprobe_binary() -> str:
    """Return the absolute path of ffprobe: FFPROBE_BINARY, else the one beside ffmpeg."""
    if settings.FFPROBE_BINARY:
        return _resolve(settings.FFPROBE_BINARY, "FFPROBE_BINARY")
    sibling = Path(ffmpeg_binary()).with_name("ffprobe")
    return _resolve(str(sibling) if sibling.exists() else "ffprobe", "FFPROBE_BINARY")


@functools.cache
def _resolve(name: str, setting: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise FFmpegMissing(
            f"{name!r} was not found: install Debian's ffmpeg package "
            f"(apt-get install ffmpeg) or point {setting} at the binary."
        )
    return str(Path(path).resolve())


@functools.cache
def version(binary: str) -> str:
    """Return the version line a binary prints, e.g. 'ffmpeg version 5.1.6-0+deb12u1'."""
    result = subprocess.run(
        [binary, "-hide_banner", "-version"], capture_output=True, text=True, timeout=30
    )
    first = (result.stdout or result.stderr).splitlines()
    return first[0].split(" Copyright")[0] if first else "unknown version"


def accepted_decoders() -> str:
    """Return the comma-separated decoder whitelist for untrusted inputs."""
    names = [name for decoders in VIDEO_DECODERS.values() for name in decoders]
    names += [name for decoders in AUDIO_DECODERS.values() for name in decoders]
    names += [name for name in PASSENGER_DECODERS if name not in names]
    return ",".join(names)


def input_options(container: str) -> list[str]:
    """Return the options that must precede an untrusted input sniffed as `container`."""
    demuxer = DEMUXERS[container]
    return [
        *("-f", demuxer, "-format_whitelist", demuxer),
        *("-protocol_whitelist", "file", "-codec_whitelist", accepted_decoders()),
    ]


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
