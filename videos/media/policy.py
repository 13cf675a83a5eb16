"""The media policy: which videos the pipeline takes on, and how big it makes the result.

Checked right after the probe and before anything is encoded, so a 200 KB file that
claims 8192x8192 pixels or ten hours never occupies a worker. Limits come from settings
(VIDEO_MAX_*); the fast path (remuxing a file that is already web-ready instead of
re-encoding it) is decided here too.
"""

import math
from dataclasses import dataclass

from django.conf import settings

from .errors import MediaError
from .probe import VideoMetadata

# What browsers play without help: H.264 8-bit 4:2:0 in these profiles, up to level 5.1.
WEB_PROFILES = ("Constrained Baseline", "Main", "High")
WEB_MAX_LEVEL = 51
WEB_PIXEL_FORMAT = "yuv420p"
# Containers whose H.264 can be copied into MP4 as is (AVI's packed B-frames can't).
REMUX_CONTAINERS = ("mp4", "mov", "mkv")


class PolicyViolation(MediaError):
    """The video is beyond what this site processes; the message says what to change."""


@dataclass(frozen=True)
class MediaPolicy:
    """Limits on what is processed, and the shape of what comes out."""

    max_pixels: int
    max_duration_seconds: float
    max_fps: float
    max_frames: int
    max_output_height: int
    fast_path: bool
    remux_max_bits_per_pixel: float

    @classmethod
    def from_settings(cls) -> "MediaPolicy":
        """Return the policy configured by the VIDEO_* settings."""
        return cls(
            max_pixels=settings.VIDEO_MAX_PIXELS,
            max_duration_seconds=settings.VIDEO_MAX_DURATION_SECONDS,
            max_fps=settings.VIDEO_MAX_FPS,
            max_frames=settings.VIDEO_MAX_FRAMES,
            max_output_height=settings.VIDEO_MAX_OUTPUT_HEIGHT,
            fast_path=settings.VIDEO_FAST_PATH,
            remux_max_bits_per_pixel=settings.VIDEO_REMUX_MAX_BITS_PER_PIXEL,
        )

    def violations(self, meta: VideoMetadata) -> list[str]:
        """Return why the video is beyond the policy, one sentence per limit ([] if within)."""
        found = []
        pixels = meta.width * meta.height
        if pixels > self.max_pixels:
            found.append(
                f"The picture is {meta.width}x{meta.height} ({_megapixels(pixels)}); the "
                f"most we accept is {_megapixels(self.max_pixels)} "
                f"(such as {_widescreen(self.max_pixels)}). Export it at a lower resolution."
            )
        if meta.duration > self.max_duration_seconds:
            found.append(
                f"The video is {_clock(meta.duration)} long; the most we accept is "
                f"{_clock(self.max_duration_seconds)}. Trim it or split it into parts."
            )
        if meta.fps > self.max_fps:
            found.append(
                f"The video runs at {meta.fps:g} frames per second; the most we accept is "
                f"{self.max_fps:g}. Export it at a lower frame rate."
            )
        if meta.frame_count > self.max_frames:
            found.append(
                f"The video has {meta.frame_count:,} frames; the most we accept is "
                f"{self.max_frames:,}. Trim it or lower its frame rate."
            )
        return found

    def check(self, meta: VideoMetadata) -> None:
        """Raise PolicyViolation naming every limit the video is beyond."""
        found = self.violations(meta)
        if found:
            raise PolicyViolation(" ".join(found))

    def output_size(self, meta: VideoMetadata) -> tuple[int, int]:
        """Return the main rendition's size: upright, even, at most max_output_height high."""
        width, height = meta.display_width, meta.display_height
        if height > self.max_output_height:
            width, height = round(width * self.max_output_height / height), self.max_output_height
        return max(2, width // 2 * 2), max(2, height // 2 * 2)

    def can_remux(self, meta: VideoMetadata) -> bool:
        """Tell whether the video already is a web-ready MP4's content (fast path)."""
        return (
            self.fast_path
            and meta.container in REMUX_CONTAINERS
            and meta.video_codec == "h264"
            and meta.pixel_format == WEB_PIXEL_FORMAT
            and meta.profile in WEB_PROFILES
            and meta.level is not None
            and meta.level <= WEB_MAX_LEVEL
            and meta.audio_codec in (None, "aac")
            and meta.rotation == 0
            and (meta.width, meta.height) == self.output_size(meta)
            and self._sane_bitrate(meta)
        )

    def _sane_bitrate(self, meta: VideoMetadata) -> bool:
        """Tell whether the video's bitrate is worth streaming as is."""
        bitrate = meta.video_bitrate or meta.bitrate
        if not bitrate or meta.fps <= 0:
            return False
        ceiling = self.remux_max_bits_per_pixel * meta.width * meta.height * meta.fps
        return bitrate <= ceiling


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:.1f} MP"


def _widescreen(pixels: int) -> str:
    """Return the largest 16:9 size within `pixels`, e.g. '3840x2160'."""
    height = math.isqrt(pixels * 9 // 16) // 9 * 9
    return f"{height * 16 // 9}x{height}"


def _clock(seconds: float) -> str:
    total = int(seconds)
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"
