"""One ffmpeg process writes the MP4, the 480p proxy, the thumbnail, the HLS ladder and the
storyboard.

A source that already is web-ready H.264 (see `MediaPolicy.can_remux`) takes the fast
path: its streams are copied into a faststart MP4 untouched, and only the proxy, the
thumbnail, the HLS rungs and the storyboard are encoded. Anything else is decoded once and
encoded to every output; the main encode also is the top HLS rung (see `ladder`).
"""

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from . import ladder, storyboard, supervise
from .errors import MediaError
from .ffmpeg import ffmpeg_binary, input_arg, input_options
from .filtergraph import PROXY_FPS, filter_graph
from .policy import MediaPolicy
from .probe import VideoMetadata
from .threads import ffmpeg_threads

MAIN_NAME = "video.mp4"
PROXY_NAME = "proxy.mp4"
THUMBNAIL_NAME = "thumbnail.jpg"
HLS_DIR = "hls"
STORYBOARD_DIR = "storyboard"
# veryfast is x264's knee on a small CPU budget: ~2-3x faster than `medium` for a few percent
# more bits at the same CRF; slower presets would stall the upload queue on 2 cores.
X264_PRESET = "veryfast"
MAIN_CRF = 23  # x264's default: visually transparent for typical uploads.
PROXY_CRF = 28  # The proxy is for scrubbing/previews, so size matters more than fidelity.
MAIN_AUDIO_BITRATE = "128k"
PROXY_AUDIO_BITRATE = "64k"


@dataclass(frozen=True)
class Renditions:
    """Paths of what one transcode produced, and whether the video was copied.

    `hls` is a folder holding master.m3u8 and a folder per rendition; `storyboard` a folder
    holding sprite.jpg and storyboard.vtt. Either is None when it was not made.
    """

    mp4: Path
    proxy: Path
    thumbnail: Path
    remuxed: bool = False
    hls: Path | None = None
    storyboard: Path | None = None
    rungs: tuple[ladder.Rung, ...] = ()

    def paths(self) -> tuple[Path, Path, Path]:
        return self.mp4, self.proxy, self.thumbnail

    def folders(self) -> tuple[Path, ...]:
        return tuple(folder for folder in (self.hls, self.storyboard) if folder is not None)

    def as_parts(self) -> "Renditions":
        """Return the same renditions under the temporary names ffmpeg writes to."""
        return Renditions(
            *(_part(path) for path in self.paths()),
            remuxed=self.remuxed,
            hls=_part(self.hls) if self.hls else None,
            storyboard=_part(self.storyboard) if self.storyboard else None,
            rungs=self.rungs,
        )


def _part(path: Path) -> Path:
    return path.with_name(f".{path.name}.part")


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
    hls: bool | None = None,
    with_storyboard: bool = True,
) -> Renditions:
    """Read src once and write video.mp4, proxy.mp4, thumbnail.jpg, hls/ and storyboard/.

    `hls` (default: the VIDEO_HLS setting) and `with_storyboard` leave those out when False.
    """
    policy = policy or MediaPolicy.from_settings()
    src, out_dir = Path(src).absolute(), Path(out_dir).absolute()
    out_dir.mkdir(parents=True, exist_ok=True)
    remux = policy.can_remux(metadata)
    with_hls = settings.VIDEO_HLS if hls is None else hls
    final = Renditions(
        out_dir / MAIN_NAME,
        out_dir / PROXY_NAME,
        out_dir / THUMBNAIL_NAME,
        remuxed=remux,
        hls=out_dir / HLS_DIR if with_hls else None,
        storyboard=out_dir / STORYBOARD_DIR if with_storyboard else None,
        rungs=tuple(ladder.plan(policy.output_size(metadata))) if with_hls else (),
    )
    # ffmpeg finalises outputs even when stopped, so write under temporary names and only
    # expose files that are complete.
    parts = final.as_parts()
    command = build_command(
        src,
        parts,
        metadata,
        threads or ffmpeg_threads(),
        policy=policy,
        thumbnail_at=thumbnail_at,
    )
    try:
        supervise.run(command, src, out_dir, metadata.duration, on_progress, should_cancel)
        _check_outputs(parts)
        _finish_folders(parts, metadata, policy.output_size(metadata))
        for part, dest in zip(parts.paths(), final.paths(), strict=True):
            os.replace(part, dest)
        for part_dir, dest_dir in zip(parts.folders(), final.folders(), strict=True):
            shutil.rmtree(dest_dir, ignore_errors=True)
            os.replace(part_dir, dest_dir)
    except BaseException:
        for path in (*parts.paths(), *final.paths()):
            path.unlink(missing_ok=True)
        for folder in (*parts.folders(), *final.folders()):
            shutil.rmtree(folder, ignore_errors=True)
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
    """Return the ffmpeg argv that writes every rendition from one read of src."""
    count = str(threads)
    width, height = policy.output_size(metadata)
    rungs = list(outputs.rungs) if outputs.hls else []
    # The main encode is the top rung; on the fast path (a stream copy) every rung is encoded.
    encoded_rungs = rungs if outputs.remuxed else rungs[1:]
    sprite = storyboard.layout(metadata.duration, (width, height)) if outputs.storyboard else None
    if outputs.remuxed:
        main = _copy_args(outputs.mp4, metadata)
    else:
        main = _main_args(outputs, metadata, count)
    return [
        ffmpeg_binary(),
        *("-hide_banner", "-nostdin", "-nostats", "-loglevel", "error", "-y"),
        *("-progress", "pipe:1"),
        *("-threads", count, *input_options(metadata.container), "-i", input_arg(src)),
        *("-filter_complex_threads", count),
        *(
            "-filter_complex",
            filter_graph(
                metadata,
                (width, height),
                outputs.remuxed,
                thumbnail_at,
                rungs=encoded_rungs,
                sprite=sprite,
            ),
        ),
        *main,
        *_proxy_args(outputs.proxy, metadata, count),
        *_thumbnail_args(outputs.thumbnail),
        *_rung_args(outputs, encoded_rungs, metadata, count),
        *(storyboard.output_args("sprite", outputs.storyboard, sprite) if sprite else []),
    ]


def _copy_args(path: Path, metadata: VideoMetadata) -> list[str]:
    """Return the output options that copy the source's streams into a faststart MP4."""
    audio = ["-map", "0:a:0"] if metadata.has_audio else []
    return ["-map", "0:v:0", *audio, "-c", "copy", *_mp4_args(path)]


def _main_args(outputs: Renditions, metadata: VideoMetadata, threads: str) -> list[str]:
    """Return the output options for the full-size MP4 (also the top HLS rung, if any)."""
    encode = [
        *("-map", "[main]", *_audio_args(metadata, MAIN_AUDIO_BITRATE)),
        *_x264_args(MAIN_CRF, threads),
        # Keep the source's timestamps: forcing CFR would duplicate frames of VFR phone clips.
        *("-fps_mode", "vfr"),
    ]
    if not outputs.hls:
        return [*encode, *_mp4_args(outputs.mp4)]
    top = outputs.rungs[0]
    slaves = [
        f"[f=mp4:movflags=+faststart]{_tee_safe(outputs.mp4)}",
        ladder.tee_slave(outputs.hls / top.name, "v"),
    ]
    if metadata.has_audio:
        slaves.append(ladder.tee_slave(outputs.hls / ladder.AUDIO_DIR, "a"))
    return [
        *encode,
        *ladder.keyframe_args(),
        # The tee muxer can't tell the encoders that MP4 wants global headers.
        *("-flags:v", "+global_header", "-flags:a", "+global_header"),
        *("-map_metadata", "-1", "-map_chapters", "-1"),
        *("-f", "tee", "|".join(slaves)),
    ]


def _tee_safe(path: Path) -> str:
    if any(char in str(path) for char in "\\':[]|"):
        raise MediaError(f"The work folder {path.parent} has a name ffmpeg's tee can't take.")
    return str(path)


def _rung_args(
    outputs: Renditions, rungs: list[ladder.Rung], metadata: VideoMetadata, threads: str
) -> list[str]:
    """Return the output options of the HLS rungs encoded on their own (and fast-path audio)."""
    if not outputs.hls:
        return []
    args: list[str] = []
    for rung in rungs:
        if rung.maxrate_kbps is None:  # the top rung of the fast path: encoded like the main
            x264 = _x264_args(MAIN_CRF, threads)
        else:
            rate = rung.maxrate_kbps
            x264 = [
                *("-c:v", "libx264", "-preset", ladder.LOWER_RUNG_PRESET),
                *("-x264-params", ladder.LOWER_RUNG_X264_PARAMS),
                *("-crf", str(ladder.LOWER_RUNG_CRF), "-threads", threads),
                *("-maxrate", f"{rate}k", "-bufsize", f"{2 * rate}k"),
            ]
        args += [
            *("-map", f"[{rung.label}]", *x264, "-fps_mode", "vfr", *ladder.keyframe_args()),
            *ladder.hls_output_args(outputs.hls / rung.name),
        ]
    if outputs.remuxed and metadata.has_audio:  # else the audio rides on the main's tee
        args += [
            *("-map", "0:a:0", "-c:a", "aac", "-b:a", MAIN_AUDIO_BITRATE),
            *ladder.hls_output_args(outputs.hls / ladder.AUDIO_DIR),
        ]
    return args


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


def _check_outputs(parts: Renditions) -> None:
    """Raise MediaError if ffmpeg exited cleanly without producing every file."""
    expected = list(parts.paths())
    if parts.hls:
        expected += [parts.hls / rung.name / ladder.PLAYLIST_NAME for rung in parts.rungs]
    if parts.storyboard:
        expected.append(parts.storyboard / storyboard.FRAMES_DIR / "00001.jpg")
    for path in expected:
        if not _non_empty(path):
            raise MediaError("The video could not be converted: no frames could be decoded.")


def _finish_folders(parts: Renditions, metadata: VideoMetadata, size: tuple[int, int]) -> None:
    """Write what ffmpeg does not: the HLS master playlist and the storyboard's WebVTT."""
    if parts.hls:
        try:
            ladder.write_master(parts.hls, list(parts.rungs), audio=metadata.has_audio)
        except (OSError, ValueError) as exc:
            raise MediaError(f"The video could not be converted: {exc}") from exc
    if parts.storyboard:
        plan = storyboard.layout(metadata.duration, size)
        try:
            storyboard.write_sprite(parts.storyboard, plan)
        except (OSError, ValueError) as exc:
            raise MediaError(f"The video could not be converted: {exc}") from exc
        storyboard.write_vtt(parts.storyboard / storyboard.VTT_NAME, plan, metadata.duration)


def _non_empty(path: Path) -> bool:
    """Tell whether path exists and has content."""
    return path.exists() and path.stat().st_size > 0
