"""Live streams: hosts go live and end; a recording becomes a processing video; analytics."""

from datetime import timedelta

import pytest
from django.utils import timezone

from commerce.models import LiveStream, OrderStatus, StreamStatus
from commerce.services.streams import stream_analytics_aggregate
from jobs.models import ProcessingJob
from tests.commerce.factories import LiveStreamFactory, OrderFactory
from tests.videos.clips import make_clip
from videos.models import Video, VideoStatus

pytestmark = pytest.mark.django_db

STREAMS = "/api/v1/streams/"


def test_host_creates_starts_and_ends_a_stream(user_client, user, host):
    created = user_client.post(STREAMS, {"title": "Spring drop"}, format="json")
    stream_id = created.data["id"]

    started = user_client.post(f"{STREAMS}{stream_id}/start/")
    ended = user_client.post(f"{STREAMS}{stream_id}/end/")

    assert created.status_code == 201, created.data
    assert created.data["host"] == user.pk
    assert created.data["status"] == "scheduled"
    assert started.data["status"] == "live"
    assert ended.status_code == 200, ended.data
    assert ended.data["status"] == "ended"
    assert ended.data["recording"] is None
    job = ProcessingJob.objects.get(job_type="aggregate_stream_analytics")
    assert job.params == {"stream_id": stream_id}
    assert job.queue == "default"


def test_ending_with_a_recording_makes_a_processing_video_of_the_host(
    user_client, user, host, tmp_path
):
    stream = LiveStreamFactory(host=user, status=StreamStatus.LIVE, started_at=timezone.now())
    clip = make_clip(tmp_path / "live.mp4", seconds=1)

    with clip.open("rb") as recording:
        response = user_client.post(
            f"{STREAMS}{stream.pk}/end/", {"recording": recording}, format="multipart"
        )

    assert response.status_code == 200, response.data
    video = Video.objects.get()
    assert video.owner == user
    assert video.status == VideoStatus.PROCESSING
    assert "Live sale" in video.title
    assert ProcessingJob.objects.filter(job_type="video_process").exists()
    stream.refresh_from_db()
    assert stream.recording == video
    assert response.json()["recording"] == str(video.pk)
    assert response.data["recording_status"] == "processing"


def test_a_recording_that_is_not_a_video_is_refused_and_the_stream_stays_live(
    user_client, user, host, tmp_path
):
    stream = LiveStreamFactory(host=user, status=StreamStatus.LIVE, started_at=timezone.now())
    fake = tmp_path / "live.mp4"
    fake.write_bytes(b"not a video at all" * 100)

    with fake.open("rb") as recording:
        response = user_client.post(
            f"{STREAMS}{stream.pk}/end/", {"recording": recording}, format="multipart"
        )

    assert response.status_code == 400
    stream.refresh_from_db()
    assert stream.status == StreamStatus.LIVE
    assert not Video.objects.exists()


def test_only_a_live_stream_can_end_and_only_a_scheduled_one_start(user_client, user, host):
    stream = LiveStreamFactory(host=user)

    assert user_client.post(f"{STREAMS}{stream.pk}/end/").status_code == 409
    user_client.post(f"{STREAMS}{stream.pk}/start/")
    assert user_client.post(f"{STREAMS}{stream.pk}/start/").status_code == 409


def test_other_hosts_scheduled_streams_are_not_found(user_client, other_user, host):
    stream = LiveStreamFactory(host=other_user)

    assert user_client.get(f"{STREAMS}{stream.pk}/").status_code == 404
    assert user_client.post(f"{STREAMS}{stream.pk}/start/").status_code == 404


def test_analytics_count_only_paid_orders_attributed_to_the_stream(db):
    start = timezone.now() - timedelta(hours=2)
    stream = LiveStreamFactory(
        status=StreamStatus.ENDED, started_at=start, ended_at=start + timedelta(hours=1)
    )
    overlapping = LiveStreamFactory(status=StreamStatus.LIVE, started_at=start)
    during = start + timedelta(minutes=30)
    OrderFactory(status=OrderStatus.PAID, total_minor=50000, created_at=during, stream=stream)
    OrderFactory(status=OrderStatus.FULFILLED, total_minor=12550, created_at=during, stream=stream)
    OrderFactory(
        status=OrderStatus.PENDING_PAYMENT, total_minor=99900, created_at=during, stream=stream
    )
    # the shop's other sales in the same hour, and the overlapping stream's, are not its own
    OrderFactory(status=OrderStatus.PAID, total_minor=99900, created_at=during)
    OrderFactory(status=OrderStatus.PAID, total_minor=7000, created_at=during, stream=overlapping)

    result = stream_analytics_aggregate(stream_id=stream.pk)

    stream.refresh_from_db()
    assert stream.orders_count == 2
    assert stream.revenue_minor == 62550
    assert result["revenue"] == "625.50"
    assert stream.analytics_updated_at is not None
    stream_analytics_aggregate(stream_id=overlapping.pk)
    overlapping.refresh_from_db()
    assert overlapping.orders_count == 1
    assert overlapping.revenue_minor == 7000


def test_stream_api_shows_revenue_as_a_decimal_string(user_client, user, host):
    LiveStreamFactory(host=user, revenue_minor=62550, orders_count=2)

    item = user_client.get(STREAMS).data["results"][0]

    assert item["revenue"] == "625.50"
    assert item["orders_count"] == 2
    assert LiveStream.objects.count() == 1
