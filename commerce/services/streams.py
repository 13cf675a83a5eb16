"""Live streams: schedule, go live, end (keeping the recording as a video), analytics."""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files import File
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from commerce.errors import InvalidStateTransition
from commerce.models import LiveStream, Order, StreamStatus
from commerce.models.orders import PAID_STATUSES
from jobs.services import job_create
from videos.services import (
    StoredOriginal,
    video_create_from_original,
    video_original_discard,
    video_original_store,
)

logger = logging.getLogger(__name__)


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
    *, stream: LiveStream, recording: File | None = None, filename: str = ""
) -> LiveStream:
    """End a live stream; its recording becomes a video of the host's, processed as usual.

    The recording is stored before the transaction that ends the stream (a storage write
    never runs inside a transaction). A rejected recording (videos.validation.UploadRejected)
    leaves the stream live.
    """
    _check_live(stream)
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


def _check_live(stream: LiveStream) -> None:
    if stream.status != StreamStatus.LIVE:
        raise InvalidStateTransition(
            f"The stream is {stream.get_status_display().lower()}; only a live stream can end."
        )


@transaction.atomic
def _stream_end(*, stream: LiveStream, original: StoredOriginal | None) -> LiveStream:
    stream = _locked(stream)
    _check_live(stream)
    stream.status = StreamStatus.ENDED
    stream.ended_at = timezone.now()
    if original is not None:
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
    """Count the paid orders placed during the stream and their revenue, and store them."""
    stream = LiveStream.objects.select_for_update().filter(pk=stream_id).first()
    if stream is None or stream.started_at is None:
        return {"stream_id": stream_id, "skipped": "no such stream, or it never went live"}
    window_end = stream.ended_at or timezone.now()
    totals = Order.objects.filter(
        status__in=PAID_STATUSES,
        currency=stream.currency,
        created_at__gte=stream.started_at,
        created_at__lte=window_end,
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
