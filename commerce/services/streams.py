"""Live streams: schedule, go live, end (keeping the recording as a video), analytics."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from commerce.errors import InvalidStateTransition, NotAStreamHost
from commerce.models import LiveStream, Order, StreamStatus
from commerce.models.orders import PAID_STATUSES
from config.errors import InvalidRequest
from jobs.services import job_create
from videos.models import Video
from videos.services import (
    StoredOriginal,
    video_create_from_original,
    video_original_discard,
    video_original_store,
)

logger = logging.getLogger(__name__)


STREAM_HOSTS_GROUP = "stream_hosts"


def can_host_streams(user: AbstractBaseUser) -> bool:
    """Staff, and members of the stream_hosts group, may create and run live streams."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    return user.is_staff or user.groups.filter(name=STREAM_HOSTS_GROUP).exists()


def _locked(stream: LiveStream) -> LiveStream:
    return LiveStream.objects.select_for_update().get(pk=stream.pk)


@transaction.atomic
def stream_create(
    *,
    host: AbstractBaseUser,
    title: str,
    description: str = "",
    scheduled_for: datetime | None = None,
) -> LiveStream:
    """Schedule a stream hosted by `host`."""
    if not can_host_streams(host):
        raise NotAStreamHost()
    return LiveStream.objects.create(
        host=host, title=title, description=description, scheduled_for=scheduled_for
    )


@transaction.atomic
def stream_start(*, stream: LiveStream) -> LiveStream:
    """Go live."""
    stream = _locked(stream)
    if stream.status != StreamStatus.SCHEDULED:
        raise InvalidStateTransition(
            f"The stream is {stream.get_status_display().lower()}; only a scheduled stream "
            "can start."
        )
    stream.status = StreamStatus.LIVE
    stream.started_at = timezone.now()
    stream.save(update_fields=["status", "started_at"])
    logger.info("stream live stream_id=%s", stream.pk)
    return stream


def stream_end(
    *,
    stream: LiveStream,
    recording: File | None = None,
    filename: str = "",
    recording_video: Video | None = None,
) -> LiveStream:
    """End a live stream; its recording becomes a video of the host's, processed as usual.

    The recording is either a file sent now, stored before the transaction that ends the
    stream (a storage write never runs inside a transaction; a rejected file,
    videos.validation.UploadRejected, leaves the stream live), or `recording_video`, a
    video the host already uploaded (tus or S3 multipart).
    """
    _check_live(stream)
    if recording is not None and recording_video is not None:
        raise InvalidRequest("Send either a recording file or recording_video, not both.")
    if recording_video is not None:
        _check_recording_video(stream, recording_video)
        return _stream_end(stream=stream, original=None, video=recording_video)
    original = None
    if recording is not None:
        name = filename or getattr(recording, "name", "") or "recording.mp4"
        original = video_original_store(file=recording, filename=name)
    try:
        return _stream_end(stream=stream, original=original)
    except BaseException:
        if original is not None:
            video_original_discard(original)
        raise


def _check_recording_video(stream: LiveStream, video: Video) -> None:
    if video.owner_id != stream.host_id:
        raise InvalidRequest(errors={"recording_video": ["Name one of the host's own videos."]})


def _check_live(stream: LiveStream) -> None:
    if stream.status != StreamStatus.LIVE:
        raise InvalidStateTransition(
            f"The stream is {stream.get_status_display().lower()}; only a live stream can end."
        )


@transaction.atomic
def _stream_end(
    *, stream: LiveStream, original: StoredOriginal | None, video: Video | None = None
) -> LiveStream:
    stream = _locked(stream)
    _check_live(stream)
    stream.status = StreamStatus.ENDED
    stream.ended_at = timezone.now()
    if video is not None:
        stream.recording = video
    elif original is not None:
        stream.recording = video_create_from_original(
            owner=stream.host,
            original=original,
            title=f"{stream.title} (recording)"[:255],
            description=f"Recording of the live stream of {stream.started_at:%Y-%m-%d %H:%M} UTC.",
        )
    stream.save(update_fields=["status", "ended_at", "recording"])
    job_create(
        job_type="aggregate_stream_analytics",
        params={"stream_id": stream.pk},
        created_by=stream.host,
        target=stream,
    )
    logger.info("stream ended stream_id=%s recording=%s", stream.pk, stream.recording_id)
    return stream


@transaction.atomic
def stream_analytics_aggregate(*, stream_id: int) -> dict[str, object]:
    """Count the paid orders attributed to the stream and their revenue, and store them."""
    stream = LiveStream.objects.select_for_update().filter(pk=stream_id).first()
    if stream is None or stream.started_at is None:
        return {"stream_id": stream_id, "skipped": "no such stream, or it never went live"}
    totals = Order.objects.filter(
        stream=stream, status__in=PAID_STATUSES, currency=stream.currency
    ).aggregate(count=Count("pk"), revenue=Sum("total_minor"))
    stream.orders_count = totals["count"] or 0
    stream.revenue_minor = totals["revenue"] or 0
    stream.analytics_updated_at = timezone.now()
    stream.save(update_fields=["orders_count", "revenue_minor", "analytics_updated_at"])
    return {
        "stream_id": stream.pk,
        "orders_count": stream.orders_count,
        "revenue": str(stream.revenue),
        "currency": stream.currency,
    }


def streams_refresh_live_analytics() -> list[int]:
    """Recount every live stream's sales (the periodic refresh; the end counts once more)."""
    refreshed = []
    for stream_id in LiveStream.objects.filter(status=StreamStatus.LIVE).values_list(
        "pk", flat=True
    ):
        stream_analytics_aggregate(stream_id=stream_id)
        refreshed.append(stream_id)
    return refreshed


def streams_cleanup(*, now: datetime | None = None, dry_run: bool = False) -> int:
    """Delete streams that ended more than STREAM_RETENTION_DAYS ago; recordings stay.

    The recording is a video in its host's library and outlives the stream row.
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.STREAM_RETENTION_DAYS)
    old = LiveStream.objects.filter(status=StreamStatus.ENDED, ended_at__lt=cutoff)
    if dry_run:
        return old.count()
    deleted, _ = old.delete()
    logger.info("ended streams deleted=%s cutoff=%s", deleted, cutoff.isoformat())
    return deleted
