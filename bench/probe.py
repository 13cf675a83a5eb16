"""Why the probe reads ffprobe's JSON instead of moviepy's parser of `ffmpeg -i` text.

Issue 16 asks for moviepy's reader (a dependency) instead of a hand-written parser, or for
a reason shown here. moviepy's `ffmpeg_parse_infos` runs ffmpeg itself (unconfined), so
this feeds its parser class, `FFmpegInfosParser`, the text of the same confined ffmpeg the
pipeline runs, and compares it with `videos.media.probe` (one confined ffprobe, JSON) on
sample files: which facts each yields, which files break it, and the time per probe.

Run from the repo root: .venv/bin/python bench/probe.py [--repeat 15]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

# What the pipeline needs from a probe, and where moviepy's result would hold it.
FACTS = ("duration", "size", "rotation", "fps", "codec", "pixel format", "level", "cover art")


def ffmpeg(*args: str) -> bytes:
    """Run plain ffmpeg (to make samples) and return its stdout."""
    from videos.media.ffmpeg import ffmpeg_binary

    base = [ffmpeg_binary(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    return subprocess.run([*base, *args], check=True, capture_output=True).stdout


def make_samples(folder: Path) -> dict[str, Path]:
    """Generate the files that tell the two apart."""
    src = ["-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2"]
    x264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    samples = {name: folder / name for name in (
        "phone.mp4", "web.mp4", "recording.webm", "cover-art.mp4", "notes.mp4"
    )}  # fmt: skip
    ffmpeg(*src, *x264, str(folder / "landscape.mp4"))
    ffmpeg(
        *("-i", str(folder / "landscape.mp4"), "-c", "copy"),
        *("-metadata:s:v:0", "rotate=270", str(samples["phone.mp4"])),
    )
    ffmpeg(*src, *x264, "-profile:v", "high", "-movflags", "+faststart", str(samples["web.mp4"]))
    webm = ffmpeg(*src, "-c:v", "libvpx", "-deadline", "realtime", "-f", "webm", "pipe:1")
    samples["recording.webm"].write_bytes(webm)  # written to a pipe: no duration in its header
    ffmpeg("-f", "lavfi", "-i", "color=c=red:s=64x64:d=1", "-frames:v", "1", str(folder / "c.png"))
    ffmpeg(
        *("-f", "lavfi", "-i", "sine=duration=2", "-i", str(folder / "c.png")),
        *("-map", "0", "-map", "1", "-c:a", "aac", "-c:v", "png"),
        *("-disposition:v:0", "attached_pic", str(samples["cover-art.mp4"])),
    )
    samples["notes.mp4"].write_bytes(b"\x00\x00\x00\x18ftypisom" + b"not really a video " * 50)
    return samples


def with_moviepy(path: Path) -> dict[str, Any]:
    """Parse the confined `ffmpeg -i` output with moviepy's FFmpegInfosParser."""
    from moviepy.video.io.ffmpeg_reader import FFmpegInfosParser

    from videos.media import confine
    from videos.media.ffmpeg import ffmpeg_binary, input_arg, input_options
    from videos.media.sniff import sniff_container

    container = sniff_container(path.read_bytes()[:4096]) or "mp4"
    argv = [ffmpeg_binary(), "-hide_banner", "-nostdin", *input_options(container)]
    limits = confine.limits(cpu_seconds=60, file_bytes=1 << 20)
    text = confine.run([*argv, "-i", input_arg(path)], limits=limits, timeout=60, read_only=[path])
    info = FFmpegInfosParser(text.stderr, str(path)).parse()
    return {
        "duration": info.get("duration"),
        "size": info.get("video_size"),
        "rotation": info.get("video_rotation"),
        "fps": info.get("video_fps"),
        "codec": info.get("video_codec_name"),
        "pixel format": None,  # not parsed
        "level": None,  # `ffmpeg -i` never prints it
        "cover art": "taken for the video" if info.get("video_found") else None,
    }


def with_ffprobe(path: Path) -> dict[str, Any]:
    """Read the same facts with the pipeline's probe (one confined ffprobe, JSON)."""
    from videos.media import probe

    meta = probe(path)
    return {
        "duration": meta.duration,
        "size": [meta.width, meta.height],
        "rotation": meta.rotation,
        "fps": meta.fps,
        "codec": meta.video_codec,
        "pixel format": meta.pixel_format,
        "level": meta.level,
        "cover art": "skipped",
    }


def outcome(read: Callable[[Path], dict[str, Any]], path: Path) -> str:
    try:
        facts = read(path)
    except Exception as exc:  # what breaks is the point of this table
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:60]}"
    return ", ".join(f"{key}={facts[key]}" for key in FACTS if facts.get(key) not in (None, ""))


def median_ms(read: Callable[[Path], Any], path: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        read(path)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="timed probes per reader")
    args = parser.parse_args()
    import django

    django.setup()

    with tempfile.TemporaryDirectory(prefix="reelhouse-bench-probe-") as tmp:
        samples = make_samples(Path(tmp))
        for name, path in samples.items():
            print(f"{name}")
            print(f"  moviepy  {outcome(with_moviepy, path)}")
            print(f"  ffprobe  {outcome(with_ffprobe, path)}")
        # Alternate the two readers so load drift hits both alike.
        web = samples["web.mp4"]
        moviepy_ms, ffprobe_ms = [], []
        for _ in range(3):
            moviepy_ms.append(median_ms(with_moviepy, web, args.repeat))
            ffprobe_ms.append(median_ms(with_ffprobe, web, args.repeat))
    mp, fp = statistics.median(moviepy_ms), statistics.median(ffprobe_ms)
    print(f"time per probe of web.mp4 (median): moviepy {mp:.0f} ms, ffprobe {fp:.0f} ms")
    print(f"ratio ffprobe/moviepy = {fp / mp:.2f} (no goal: both are one confined process)")
    print(
        "verdict: the fast path needs the H.264 level and pixel format, which moviepy's "
        "parser does not give; it also stops on headerless recordings and takes cover art "
        "for a picture. ffprobe's JSON gives all of it typed, from one run."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
