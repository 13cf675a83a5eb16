"""Give videos processed before the HLS ladder and storyboard existed their new renditions."""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q, QuerySet

from jobs.errors import JobStateError
from videos.models import Video, VideoStatus
from videos.services.processing import video_reprocess

logger = logging.getLogger(__name__)


@dataclass
class BackfillResult:
    """What one backfill run did: (video id, job id) started, and videos it passed over."""

    started: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    remaining: int = 0


def videos_missing_renditions() -> QuerySet[Video]:
    """Return the ready videos that lack the storyboard (or the ladder, if HLS is on)."""
    missing = Q(storyboard_key="")
    if settings.VIDEO_HLS:
        missing |= Q(hls_key="")
    return (
        Video.objects.filter(missing, status=VideoStatus.READY)
        .exclude(original_key="")
        .order_by("pk")
    )


def videos_backfill_renditions(*, limit: int, batch_size: int, dry_run: bool) -> BackfillResult:
    """Start a processing job (one per video) for up to `limit` videos missing renditions.

    Videos are read `batch_size` at a time in primary-key order. A started video is
    `processing` until its job ends, so it drops out of the selection: running the
    backfill again carries on where it stopped, and never queues a video twice.
    """
    result = BackfillResult()
    queryset = videos_missing_renditions()
    last = None
    while len(result.started) < limit:
        page = queryset.filter(pk__gt=last) if last is not None else queryset
        batch = list(page[:batch_size])
        if not batch:
            break
        for video in batch:
            last = video.pk
            if len(result.started) >= limit:
                break
            if dry_run:
                result.started.append((str(video.pk), ""))
                continue
            try:
                job = video_reprocess(video=video, requested_by=None)
            except JobStateError as exc:  # a job of its own is under way, or no original
                result.skipped.append((str(video.pk), str(exc)))
                continue
            result.started.append((str(video.pk), str(job.pk)))
            logger.info("backfill video_id=%s job_id=%s", video.pk, job.pk)
    result.remaining = videos_missing_renditions().count() - (len(result.started) if dry_run else 0)
    return result
