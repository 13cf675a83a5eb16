"""The filtergraph of the one ffmpeg run: one decoded picture split into every output.

The main picture feeds the proxy and the HLS ladder, each rung scaled from the one above it;
the thumbnail and the storyboard tap the decoded source. `transcode` builds the rest of the
command around it.
"""

from . import ladder, storyboard
from .probe import VideoMetadata

PROXY_MAX_HEIGHT = 480
PROXY_FPS = 10
THUMBNAIL_AT_SECONDS = 1.0


def thumbnail_time(duration: float, at: float | None = None) -> float:
    """Return when to grab the thumbnail: `at` if given, else 1 s in (mid-clip if shorter)."""
    if at is not None and 0 <= at < duration:
        return at
    return THUMBNAIL_AT_SECONDS if duration >= THUMBNAIL_AT_SECONDS else duration / 2


def filter_graph(
    metadata: VideoMetadata,
    size: tuple[int, int],
    remux: bool = False,
    thumbnail_at: float | None = None,
    *,
    rungs: list[ladder.Rung] | tuple[ladder.Rung, ...] = (),
    sprite: storyboard.Layout | None = None,
) -> str:
    """Return the filtergraph splitting one decoded stream into every picture output.

    The main branch is scaled to `size` (even, within the policy's height) and feeds the
    proxy and the HLS ladder, each rung scaled from the one above it; on the fast path the
    main MP4 is a stream copy, so the proxy and the ladder start from the decoded source.
    A ladder with a rung of the proxy's height feeds the proxy from that rung's picture,
    which is already scaled.
    """
    width, height = size
    # ffmpeg has already applied the display rotation (autorotate) before this graph runs.
    at = thumbnail_time(metadata.duration, thumbnail_at)
    proxy = f"fps={PROXY_FPS}:eof_action=pass,scale=-2:'min({PROXY_MAX_HEIGHT},ih)'"
    tap = next((rung for rung in rungs if rung.height == PROXY_MAX_HEIGHT), None)
    heads = ["thumb", *(["sb"] if sprite else [])]
    # What the full-size picture (the source on the fast path) feeds besides those heads.
    feeds = [*([] if tap else ["small"]), *(["ladder"] if rungs else [])]
    if remux:
        outs = "".join(f"[{head}]" for head in (*feeds, *heads))
        branches = [f"[0:v:0]split={len(feeds) + len(heads)}{outs}"]
    else:
        outs = "".join(f"[{head}]" for head in ("main", *feeds))
        branches = [
            f"[0:v:0]split={len(heads) + 1}[full]" + "".join(f"[{head}]" for head in heads),
            f"[full]scale={width}:{height},format=yuv420p,split={len(feeds) + 1}{outs}",
        ]
    branches.append(f"[small]format=yuv420p,{proxy}[proxy]")
    # The still keeps the source's size, unless the policy made the main rendition smaller.
    capped = height < metadata.display_height // 2 * 2
    still_scale = f",scale={width}:{height}" if capped else ""
    return ";".join(
        [
            *branches,
            *rung_chain("ladder", rungs, tap=tap, tap_label="small"),
            # tpad clones the last frame past `at` in case the picture ends early (a longer audio
            # track sets the duration); trim closes the branch after one frame so it costs nothing.
            f"[thumb]tpad=stop_mode=clone:stop_duration={at + 1:.3f},select='gte(t,{at:.3f})',"
            f"trim=end_frame=1,setpts=PTS-STARTPTS{still_scale}[still]",
            *([storyboard.filter_branch("sb", sprite, "sprite")] if sprite else []),
        ]
    )


def rung_chain(
    source: str,
    rungs: list[ladder.Rung] | tuple[ladder.Rung, ...],
    *,
    tap: ladder.Rung | None = None,
    tap_label: str = "",
) -> list[str]:
    """Return the branches scaling `source` down to each rung, each from the one above it.

    Scaling 1080 -> 720 -> 480 -> 360 in turn reads far fewer pixels than scaling each rung
    from the full-size picture: half the scaling CPU time, and against a direct lanczos
    downscale the 360p rung's SSIM goes from 0.9995 to 0.9987 (bench/pipeline.py's clip).
    The `tap` rung's picture also goes out as `tap_label`.
    """
    branches = []
    for index, rung in enumerate(rungs):
        outs = [
            rung.label,
            *([f"{rung.label}down"] if index < len(rungs) - 1 else []),
            *([tap_label] if rung == tap else []),
        ]
        split = f",split={len(outs)}" if len(outs) > 1 else ""
        branches.append(
            f"[{source}]scale={rung.width}:{rung.height},format=yuv420p{split}"
            + "".join(f"[{out}]" for out in outs)
        )
        source = f"{rung.label}down"
    return branches
