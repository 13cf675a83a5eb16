"""Sales belong to streams: attribution on order, who hosts, who sees the numbers."""

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from rest_framework.test import APIClient

from commerce.models import LiveStream, Order, StreamStatus
from commerce.schedules import SCHEDULES
from commerce.services.streams import streams_refresh_live_analytics
from jobs.models import ProcessingJob
from tests.commerce.factories import LiveStreamFactory, OrderFactory, ProductFactory
from tests.videos.factories import VideoFactory

pytestmark = pytest.mark.django_db

STREAMS = "/api/v1/streams/"


@pytest.fixture
def live(host):
    return LiveStreamFactory(
        host=host, status=StreamStatus.LIVE, started_at=timezone.now(), revenue_minor=62550
    )


def test_only_staff_and_stream_hosts_create_streams(user_client, user, staff_client):
    refused = user_client.post(STREAMS, {"title": "Flash sale"}, format="json")
    by_staff = staff_client.post(STREAMS, {"title": "Staff sale"}, format="json")
    user.groups.add(Group.objects.get_or_create(name="stream_hosts")[0])
    by_host = user_client.post(STREAMS, {"title": "Host sale"}, format="json")

    assert refused.status_code == 403
    assert "stream_hosts" in refused.data["detail"]
    assert by_staff.status_code == 201
    assert by_host.status_code == 201
    assert LiveStream.objects.count() == 2


def test_anyone_sees_a_live_streams_public_fields_but_not_its_numbers(
    live, other_user, user_client, staff_client
):
    anonymous = APIClient().get(f"{STREAMS}{live.pk}/")
    stranger = APIClient()
    stranger.force_authenticate(other_user)
    as_stranger = stranger.get(STREAMS)
    as_host = user_client.get(f"{STREAMS}{live.pk}/")
    as_staff = staff_client.get(f"{STREAMS}{live.pk}/")

    assert anonymous.status_code == 200
    assert anonymous.data["title"] == live.title
    for hidden in ("orders_count", "revenue", "analytics_updated_at"):
        assert hidden not in anonymous.data
        assert hidden not in as_stranger.data["results"][0]
    assert as_host.data["revenue"] == "625.50"
    assert as_staff.data["revenue"] == "625.50"
    # and a stranger cannot run it
    assert stranger.post(f"{STREAMS}{live.pk}/end/").status_code == 403
    other_user.groups.add(Group.objects.get(name="stream_hosts"))
    assert stranger.post(f"{STREAMS}{live.pk}/end/").status_code == 404


def test_an_order_placed_from_a_live_stream_belongs_to_it(live, other_user):
    buyer = APIClient()
    buyer.force_authenticate(other_user)
    product = ProductFactory(stock=5)

    response = buyer.post(
        "/api/v1/orders/",
        {"items": [{"product": product.pk, "quantity": 1}], "stream": live.pk},
        format="json",
    )

    assert response.status_code == 201, response.data
    assert response.data["stream"] == live.pk
    assert Order.objects.get().stream == live


def test_an_order_cannot_name_a_stream_that_is_not_live(host, user_client):
    ended = LiveStreamFactory(host=host, status=StreamStatus.ENDED)
    product = ProductFactory(stock=5)

    response = user_client.post(
        "/api/v1/orders/",
        {"items": [{"product": product.pk, "quantity": 1}], "stream": ended.pk},
        format="json",
    )

    assert response.status_code == 400
    assert "not live" in response.data["detail"]
    assert not Order.objects.exists()
    assert ProductFactory._meta.model.objects.get(pk=product.pk).stock == 5


def test_live_analytics_refresh_every_five_minutes_from_an_editable_beat_schedule(live):
    OrderFactory(status="paid", total_minor=1000, stream=live)
    ended = LiveStreamFactory(status=StreamStatus.ENDED, started_at=timezone.now())
    OrderFactory(status="paid", total_minor=1000, stream=ended)

    schedule = next(s for s in SCHEDULES if s.task == "commerce.analytics.refresh_live_streams")
    refreshed = streams_refresh_live_analytics()

    assert schedule.every_seconds == 300
    assert refreshed == [live.pk]
    live.refresh_from_db()
    ended.refresh_from_db()
    assert live.orders_count == 1
    assert ended.analytics_updated_at is None


def test_end_names_an_uploaded_video_of_the_host_as_recording(live, user_client, host):
    video = VideoFactory(owner=host)

    response = user_client.post(
        f"{STREAMS}{live.pk}/end/", {"recording_video": str(video.pk)}, format="json"
    )

    assert response.status_code == 200, response.data
    assert response.data["recording"] == video.pk
    assert response.data["thumbnail_url"]
    assert "thumbnail" in response.data["thumbnail_url"]
    assert ProcessingJob.objects.filter(job_type="aggregate_stream_analytics").exists()


def test_end_refuses_someone_elses_video_and_the_stream_stays_live(live, user_client, other_user):
    video = VideoFactory(owner=other_user)

    response = user_client.post(
        f"{STREAMS}{live.pk}/end/", {"recording_video": str(video.pk)}, format="json"
    )

    assert response.status_code == 400
    live.refresh_from_db()
    assert live.status == StreamStatus.LIVE
    assert live.recording is None
