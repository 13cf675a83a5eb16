"""The HLS ladder: which rungs a video gets, the ffmpeg outputs that write them, the master.

Every rung is CMAF (fMP4) HLS with segments of `SEGMENT_SECONDS`, cut on keyframes that are
forced at the same times in every rung, so a player can switch rungs at any segment
boundary. The top rung is the main rendition's own encode (ffmpeg's tee muxer writes the
same packets to the MP4 and to HLS), so only the lower rungs cost extra encoding; on the
fast path, where the MP4 is a stream copy, every rung is encoded. There is one audio
rendition (AAC), shared by all rungs. ffmpeg writes the media playlists; the master
playlist is written here afterwards, with BANDWIDTH measured from the segments and CODECS
read from each rung's init segment.
"""

import math
import re
from dataclasses import dataclass
from pathlib import Path

SEGMENT_SECONDS = 4  # HLS authoring spec: 6 s at most; 4 s keeps seeks and switches quick
# Rung height -> its bitrate cap (kbit/s) when it is not the main encode.
LADDER = {1080: 5000, 720: 2800, 480: 1400, 360: 800}
# A ladder rung within this fraction of the top rung's height adds nothing a player needs.
MIN_STEP = 0.85
MASTER_NAME = "master.m3u8"
PLAYLIST_NAME = "index.m3u8"
INIT_NAME = "init.mp4"
AUDIO_DIR = "audio"
AUDIO_CODEC = "mp4a.40.2"  # AAC-LC, what ffmpeg's aac encoder writes
# The lower rungs' encodes are two thirds of what the ladder adds to a run (perf: x264 is
# +66% of the extra samples, scaling +26%), so they use x264's cheapest preset, `ultrafast`,
# with the two tools it turns off that matter most at a bitrate cap put back: CABAC (fewer
# bits for the same picture) and the deblocking filter (no blocking at low bitrates).
# ultrafast already leaves out what an ABR ladder doesn't want: scene-cut keyframes
# (keyframes are forced every segment, the same in every rung) and B-frames. Against
# `superfast`, measured on bench/pipeline.py's clip: a rung alone encodes in a third less
# CPU, the whole HLS run takes about 4% less; at the cap (720p) SSIM is 0.9955 instead of
# 0.9963, below it (480p, 360p) the SSIM is the same for about a third more bits, within
# each rung's cap.
LOWER_RUNG_PRESET = "ultrafast"
LOWER_RUNG_CRF = 23
LOWER_RUNG_X264_PARAMS = "cabac=1:deblock=1"
_UNSAFE_IN_TEE = re.compile(r"[\\':\[\]|]")


@dataclass(frozen=True)
class Rung:
    """One video variant of the ladder."""

    width: int
    height: int
    maxrate_kbps: int | None  # None: the main encode, uncapped

    @property
    def name(self) -> str:
        return str(self.height)

    @property
    def label(self) -> str:
        return f"r{self.height}"


def plan(size: tuple[int, int]) -> list[Rung]:
    """Return the rungs for a main rendition of `size`, top (the main encode) first.

    The top rung is the main rendition's size; below it come the ladder's heights that
    are clearly smaller, so a 720p or larger video always gets at least two rungs.
    """
    width, height = size
    rungs = [Rung(width, height, None)]
    for rung_height, maxrate in LADDER.items():
        if rung_height <= height * MIN_STEP:
            rung_width = max(2, round(width * rung_height / height / 2) * 2)
            rungs.append(Rung(rung_width, rung_height, maxrate))
    return rungs


def keyframe_args() -> list[str]:
    """Return the options forcing a keyframe at every segment boundary (same in every rung)."""
    return ["-force_key_frames", f"expr:gte(t,n_forced*{SEGMENT_SECONDS})"]


def muxer_options(directory: Path) -> dict[str, str]:
    """Return the hls muxer's options for a rendition written into `directory`."""
    return {
        "hls_time": str(SEGMENT_SECONDS),
        "hls_playlist_type": "vod",
        "hls_segment_type": "fmp4",
        "hls_flags": "independent_segments",
        "hls_fmp4_init_filename": INIT_NAME,
        "hls_segment_filename": str(directory / "seg_%05d.m4s"),
    }


def hls_output_args(directory: Path) -> list[str]:
    """Return the output options writing one HLS rendition into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    options = [arg for key, value in muxer_options(directory).items() for arg in (f"-{key}", value)]
    return [
        *("-map_metadata", "-1", "-map_chapters", "-1"),
        *("-f", "hls", *options, str(directory / PLAYLIST_NAME)),
    ]


def tee_slave(directory: Path, select: str) -> str:
    """Return a tee muxer slave writing the `select`ed stream(s) as HLS into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    options = {"f": "hls", "select": select, **muxer_options(directory)}
    for value in options.values():
        if _UNSAFE_IN_TEE.search(value):
            raise ValueError(f"The work folder path {directory} can't be passed to ffmpeg's tee.")
    spec = ":".join(f"{key}={value}" for key, value in options.items())
    return f"[{spec}]{directory / PLAYLIST_NAME}"


def write_master(hls_dir: Path, rungs: list[Rung], *, audio: bool) -> Path:
    """Write master.m3u8 for the rungs ffmpeg wrote into hls_dir; return its path."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    audio_peak = audio_average = 0
    if audio:
        audio_peak, audio_average = _bandwidth(hls_dir / AUDIO_DIR)
        lines.append(
            '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Audio",DEFAULT=YES,AUTOSELECT=YES,'
            f'URI="{AUDIO_DIR}/{PLAYLIST_NAME}"'
        )
    for rung in rungs:
        folder = hls_dir / rung.name
        peak, average = _bandwidth(folder)
        codecs = ",".join([_video_codec(folder / INIT_NAME), *([AUDIO_CODEC] if audio else [])])
        attributes = [
            f"BANDWIDTH={peak + audio_peak}",
            f"AVERAGE-BANDWIDTH={average + audio_average}",
            f"RESOLUTION={rung.width}x{rung.height}",
            f'CODECS="{codecs}"',
            *(['AUDIO="audio"'] if audio else []),
        ]
        lines += ["#EXT-X-STREAM-INF:" + ",".join(attributes), f"{rung.name}/{PLAYLIST_NAME}"]
    master = hls_dir / MASTER_NAME
    master.write_text("\n".join(lines) + "\n")
    return master


def _segments(folder: Path) -> list[tuple[float, Path]]:
    """Return (duration, file) of each segment a media playlist lists."""
    found, duration = [], None
    for line in (folder / PLAYLIST_NAME).read_text().splitlines():
        if line.startswith("#EXTINF:"):
            duration = float(line[len("#EXTINF:") :].split(",")[0])
        elif line and not line.startswith("#") and duration is not None:
            found.append((duration, folder / line))
            duration = None
    return found


def _bandwidth(folder: Path) -> tuple[int, int]:
    """Return (peak, average) bits per second of a rendition's segments."""
    segments = _segments(folder)
    if not segments:
        raise ValueError(f"{folder / PLAYLIST_NAME} lists no segments.")
    # A very short last segment would overstate the peak: measure over at least 1 s.
    peak = max(path.stat().st_size * 8 / max(seconds, 1.0) for seconds, path in segments)
    total_bits = sum(path.stat().st_size * 8 for _, path in segments)
    total_seconds = sum(seconds for seconds, _ in segments) or 1.0
    return math.ceil(peak), math.ceil(total_bits / total_seconds)


def _video_codec(init: Path) -> str:
    """Return the RFC 6381 name of the H.264 stream in an init segment, e.g. avc1.64001f."""
    data = init.read_bytes()
    at = data.find(b"avcC")
    if at < 0 or len(data) < at + 8:
        raise ValueError(f"{init} holds no H.264 configuration.")
    profile, compatibility, level = data[at + 5 : at + 8]
    return f"avc1.{profile:02x}{compatibility:02x}{level:02x}"
