"""Other apps' signals become webhook events (and emails) once their transaction commits."""

import pytest

from jobs.models import ProcessingJob
from jobs.services import job_create, job_fail
from notifications.models import Notification, WebhookDelivery
from tests.factories import UserFactory
from tests.notifications.factories import VideoFactory, WebhookEndpointFactory
from videos.models import Video
from videos.signals import video_failed, video_ready

pytestmark = pytest.mark.django_db


def test_failed_job_is_announced_to_its_creator_after_commit(
    user, django_capture_on_commit_callbacks
):
    endpoint = WebhookEndpointFactory(owner=user, event_types=["job.failed"])
    job = job_create(job_type="sleep", params={"seconds": 0}, created_by=user)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job_fail(job_id=str(job.pk), error="Disk full; free some space and retry.")
        assert not WebhookDelivery.objects.exists()  # nothing before commit
    assert callbacks

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.event_type == "job.failed"
    assert delivery.payload["data"]["job_id"] == str(job.pk)
    assert delivery.payload["data"]["error"] == "Disk full; free some space and retry."
    email = Notification.objects.get(template="job_failed")
    assert (email.recipient, email.user) == (user.email, user)


def test_failed_delivery_jobs_are_not_announced(user, django_capture_on_commit_callbacks):
    WebhookEndpointFactory(
        owner=UserFactory(is_staff=True, is_superuser=True),
        event_types=["job.failed"],
        all_objects=True,
    )
    job = ProcessingJob.objects.create(
        job_type="webhook_deliver", celery_task_id="t-1", params={}, created_by=user
    )

    with django_capture_on_commit_callbacks(execute=True):
        job_fail(job_id=str(job.pk), error="boom")

    assert not WebhookDelivery.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("signal", "event_type"), [(video_ready, "video.ready"), (video_failed, "video.failed")]
)
def test_video_signals_reach_the_owners_endpoints(
    user, signal, event_type, django_capture_on_commit_callbacks
):
    endpoint = WebhookEndpointFactory(owner=user, event_types=[event_type])
    WebhookEndpointFactory(event_types=[event_type])  # someone else's
    video = VideoFactory(owner=user, title="Sunset")

    with django_capture_on_commit_callbacks(execute=True):
        signal.send(sender=Video, video=video)

    delivery = WebhookDelivery.objects.get()
    assert delivery.endpoint == endpoint
    assert delivery.payload["data"]["video_id"] == str(video.pk)
    assert delivery.payload["data"]["title"] == "Sunset"


def test_paid_order_is_announced_to_the_buyers_endpoints(user, django_capture_on_commit_callbacks):
    from commerce.models import Order
    from commerce.signals import order_paid
    from tests.commerce.factories import OrderFactory

    endpoint = WebhookEndpointFactory(owner=user, event_types=["order.paid"])
    order = OrderFactory(user=user, total_minor=125000, currency="TWD")

    with django_capture_on_commit_callbacks(execute=True):
        order_paid.send(sender=Order, order=order)

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.event_type == "order.paid"
    data = delivery.payload["data"]
    assert data["order_id"] == str(order.pk)
    assert (data["number"], data["total_minor"], data["currency"]) == (order.number, 125000, "TWD")
