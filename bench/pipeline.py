"""Benchmark the single-pass transcode against three sequential ffmpeg runs (the seed approach).

Usage (from the repo root): .venv/bin/python bench/pipeline.py --seconds 20 [--rounds 2]
"""

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from videos.media import probe, transcode
from videos.media.ffmpeg import ffmpeg_binary
from videos.media.transcode import (
    MAIN_AUDIO_BITRATE,
    MAIN_CRF,
    PROXY_AUDIO_BITRATE,
    PROXY_CRF,
    PROXY_FPS,
    X264_PRESET,
    default_threads,
)

GOAL_RATIO = 0.85


def ffmpeg(*args: str) -> None:
    """Run ffmpeg quietly and fail on error."""
    command = [ffmpeg_binary(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args]
    subprocess.run(command, check=True)


def make_source(path: Path, seconds: int) -> None:
    """Encode a 1080p30 H.264 + AAC test clip."""
    ffmpeg(
        *("-f", "lavfi", "-i", f"testsrc2=size=1920x1080:rate=30:duration={seconds}"),
        *("-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"),
        *("-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p"),
        *("-c:a", "aac", "-b:a", "128k", str(path)),
    )


def run_ours(src: Path, out_dir: Path, threads: int) -> None:
    """Produce the three renditions with one ffmpeg process."""
    transcode(src, out_dir, metadata=probe(src), threads=threads)


def run_seed(src: Path, out_dir: Path, threads: int) -> None:
    """Produce the same three renditions with three sequential ffmpeg processes."""
    t = str(threads)
    x264 = ["-c:v", "libx264", "-preset", X264_PRESET, "-threads", t]
    mp4 = ["-movflags", "+faststart", "-map_metadata", "-1"]
    decode = ["-threads", t, "-i", str(src), "-filter_threads", t]
    ffmpeg(
        *decode,
        *("-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2,format=yuv420p", "-fps_mode", "vfr"),
        *x264,
        *("-crf", str(MAIN_CRF), "-c:a", "aac", "-b:a", MAIN_AUDIO_BITRATE),
        *(*mp4, str(out_dir / "video.mp4")),
    )
    ffmpeg(
        *decode,
        *("-vf", f"scale=-2:480,fps={PROXY_FPS},format=yuv420p"),
        *x264,
        *("-crf", str(PROXY_CRF), "-g", str(PROXY_FPS), "-c:a", "aac", "-b:a", PROXY_AUDIO_BITRATE),
        *(*mp4, str(out_dir / "proxy.mp4")),
    )
    ffmpeg("-ss", "1", *decode, "-frames:v", "1", "-q:v", "3", str(out_dir / "thumbnail.jpg"))


def timed(run: Callable[[Path, Path, int], None], src: Path, work: Path, threads: int) -> float:
    """Return the wall time of one run into a fresh output folder."""
    out_dir = Path(tempfile.mkdtemp(dir=work))
    start = time.perf_counter()
    run(src, out_dir, threads)
    return time.perf_counter() - start


def main() -> int:
    """Generate the source, alternate both pipelines and print the wall-time ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20, help="length of the 1080p30 source")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each pipeline")
    parser.add_argument("--threads", type=int, default=default_threads(), help="ffmpeg threads")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="reelhouse-bench-") as tmp:
        work = Path(tmp)
        src = work / "source.mp4"
        print(f"generating {args.seconds}s 1080p30 source ...", flush=True)
        make_source(src, args.seconds)
        ours, seed = [], []
        for round_no in range(1, args.rounds + 1):
            # Alternate so drift in machine load hits both pipelines alike.
            ours.append(timed(run_ours, src, work, args.threads))
            seed.append(timed(run_seed, src, work, args.threads))
            print(f"round {round_no}: ours {ours[-1]:6.2f}s   seed {seed[-1]:6.2f}s", flush=True)

    ours_s, seed_s = statistics.median(ours), statistics.median(seed)
    ratio = ours_s / seed_s
    print(f"threads={args.threads} preset={X264_PRESET}")
    print(f"median wall time: ours {ours_s:.2f}s, seed {seed_s:.2f}s")
    print(f"ratio ours/seed = {ratio:.3f} (goal <= {GOAL_RATIO})")
    return 0 if ratio <= GOAL_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
