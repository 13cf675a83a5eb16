"""The storyboard: one sprite of small frames and a WebVTT track of where each one is.

A player shows the tile of the time under the pointer while the user scrubs. Frames are
taken every `interval` seconds, where the interval grows with the duration so that even
the longest video the policy admits gets at most `MAX_TILES` tiles (a sprite of at most
COLUMNS x MAX_TILES/COLUMNS tiles of at most TILE_BOX x TILE_BOX pixels).

The transcode's ffmpeg writes the small frames as it goes (ffmpeg's own `tile` filter
would hold its one output frame until the end of the video, which stalls ffmpeg's progress
report for the whole run); they are laid out into the sprite afterwards.
"""

import math
import shutil
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

SPRITE_NAME = "sprite.jpg"
FRAMES_DIR = ".frames"
SPRITE_QUALITY = 80
VTT_NAME = "storyboard.vtt"
MAX_TILES = 200
COLUMNS = 10
TILE_BOX = 160  # a tile fits in a square this many pixels wide, aspect kept
MIN_INTERVAL_SECONDS = 1


@dataclass(frozen=True)
class Layout:
    """How the frames of a storyboard are laid out in its sprite."""

    interval: int
    count: int
    columns: int
    rows: int
    tile_width: int
    tile_height: int


def layout(duration: float, size: tuple[int, int]) -> Layout:
    """Return the storyboard layout of a video of `duration` seconds shown at `size`."""
    interval = max(MIN_INTERVAL_SECONDS, math.ceil(duration / MAX_TILES))
    count = max(1, math.ceil(duration / interval))
    columns = min(COLUMNS, count)
    width, height = size
    scale = TILE_BOX / max(width, height)
    tile_width = max(2, round(width * scale / 2) * 2)
    tile_height = max(2, round(height * scale / 2) * 2)
    rows = math.ceil(count / columns)
    return Layout(interval, count, columns, rows, tile_width, tile_height)


def filter_branch(source: str, plan: Layout, output: str) -> str:
    """Return the filtergraph branch turning `source` frames into the storyboard's frames."""
    # tpad repeats the last frame for one interval, so even a one-frame video gets a tile.
    return (
        f"[{source}]tpad=stop_mode=clone:stop_duration={plan.interval},"
        f"fps=1/{plan.interval},scale={plan.tile_width}:{plan.tile_height}[{output}]"
    )


def output_args(label: str, folder: Path, plan: Layout) -> list[str]:
    """Return the output options writing the storyboard's frames into folder/.frames/."""
    frames = folder / FRAMES_DIR
    frames.mkdir(parents=True, exist_ok=True)
    return [
        *("-map", f"[{label}]", "-frames:v", str(plan.count), "-q:v", "4"),
        *("-f", "image2", str(frames / "%05d.jpg")),
    ]


def write_sprite(folder: Path, plan: Layout) -> Path:
    """Lay the frames ffmpeg wrote out into folder/sprite.jpg (black where one is missing)."""
    frames = sorted((folder / FRAMES_DIR).glob("*.jpg"))[: plan.count]
    if not frames:
        raise ValueError("no storyboard frames were written")
    size = (plan.columns * plan.tile_width, plan.rows * plan.tile_height)
    with Image.new("RGB", size) as sprite:
        for index, path in enumerate(frames):
            with Image.open(path) as frame:
                position = (
                    index % plan.columns * plan.tile_width,
                    index // plan.columns * plan.tile_height,
                )
                sprite.paste(frame.convert("RGB"), position)
        sprite.save(folder / SPRITE_NAME, "JPEG", quality=SPRITE_QUALITY)
    shutil.rmtree(folder / FRAMES_DIR)
    return folder / SPRITE_NAME


def write_vtt(path: Path, plan: Layout, duration: float) -> Path:
    """Write the WebVTT track mapping each interval to its tile (`sprite.jpg#xywh=...`)."""
    lines = ["WEBVTT", ""]
    for index in range(plan.count):
        start = index * plan.interval
        end = min((index + 1) * plan.interval, duration)
        if end <= start:
            break
        x = index % plan.columns * plan.tile_width
        y = index // plan.columns * plan.tile_height
        lines += [
            f"{_timestamp(start)} --> {_timestamp(end)}",
            f"{SPRITE_NAME}#xywh={x},{y},{plan.tile_width},{plan.tile_height}",
            "",
        ]
    path.write_text("\n".join(lines))
    return path


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    return f"{hours:02d}:{minutes:02d}:{millis // 1000:02d}.{millis % 1000:03d}"
