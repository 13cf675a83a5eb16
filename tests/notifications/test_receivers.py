"""Other apps' signals become announcement jobs in the sender's transaction (an outbox),
and an announcement job turns into webhook events and emails once."""

import pytest
from django.db import transaction

from jobs.models import JobStatus, ProcessingJob
from jobs.services import job_create, job_fail
from notifications.models import Notification, WebhookDelivery
from notifications.services.events import event_announce
from tests.factories import UserFactory
from tests.notifications.factories import WebhookEndpointFactory
from tests.videos.factories import VideoFactory
from videos.models import Video
from videos.signals import video_failed, video_ready

pytestmark = pytest.mark.django_db

ANNOUNCE = "notification_announce"


def _announcements() -> list[ProcessingJob]:
    return list(ProcessingJob.objects.filter(job_type=ANNOUNCE))


def test_failed_job_writes_its_announcement_job_in_the_same_transaction(user):
    job = job_create(job_type="sleep", params={"seconds": 0}, created_by=user)

    with transaction.atomic():
        job_fail(job_id=str(job.pk), error="Disk full; free some space and retry.")
        (announcement,) = _announcements()  # written before commit, beside the failure

    assert announcement.status == JobStatus.PENDING  # published once the transaction commits
    assert announcement.params == {"event_type": "job.failed", "object_id": str(job.pk)}
    assert not WebhookDelivery.objects.exists()  # the job does the announcing


def test_a_rolled_back_change_leaves_no_announcement(user):
    job = job_create(job_type="sleep", params={"seconds": 0}, created_by=user)

    with pytest.raises(RuntimeError), transaction.atomic():
        job_fail(job_id=str(job.pk), error="boom")
        raise RuntimeError("the caller's transaction fails after the job did")

    assert _announcements() == []
    job.refresh_from_db()
    assert job.status != JobStatus.FAILED


def test_failed_job_is_announced_to_its_creator_once(user):
    endpoint = WebhookEndpointFactory(owner=user, event_types=["job.failed"])
    job = job_create(job_type="sleep", params={"seconds": 0}, created_by=user)
    job_fail(job_id=str(job.pk), error="Disk full; free some space and retry.")
    (announcement,) = _announcements()

    event_announce(job_id=str(announcement.pk))
    event_announce(job_id=str(announcement.pk))  # a redelivery after a worker died

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.event_type == "job.failed"
    assert delivery.event_id == f"evt_{announcement.pk.hex}"
    assert delivery.payload["data"]["job_id"] == str(job.pk)
    assert delivery.payload["data"]["error"] == "Disk full; free some space and retry."
    email = Notification.objects.get(template="job_failed")
    assert (email.recipient, email.user) == (user.email, user)


def test_failed_delivery_jobs_are_not_announced(user):
    WebhookEndpointFactory(
        owner=UserFactory(is_staff=True, is_superuser=True),
        event_types=["job.failed"],
        all_objects=True,
    )
    job = ProcessingJob.objects.create(
        job_type="webhook_deliver", celery_task_id="t-1", params={}, created_by=user
    )

    job_fail(job_id=str(job.pk), error="boom")

    assert _announcements() == []
    assert not WebhookDelivery.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("signal", "event_type"), [(video_ready, "video.ready"), (video_failed, "video.failed")]
)
def test_video_signals_reach_the_owners_endpoints(user, signal, event_type):
    endpoint = WebhookEndpointFactory(owner=user, event_types=[event_type])
    WebhookEndpointFactory(event_types=[event_type])  # someone else's
    video = VideoFactory(owner=user, title="Sunset")

    with transaction.atomic():
        signal.send(sender=Video, video=video)
    (announcement,) = _announcements()
    event_announce(job_id=str(announcement.pk))

    delivery = WebhookDelivery.objects.get()
    assert delivery.endpoint == endpoint
    assert delivery.payload["data"]["video_id"] == str(video.pk)
    assert delivery.payload["data"]["title"] == "Sunset"


def test_paid_order_is_announced_to_the_buyers_endpoints(user):
    from commerce.models import Order
    from commerce.signals import order_paid
    from tests.commerce.factories import OrderFactory

    endpoint = WebhookEndpointFactory(owner=user, event_types=["order.paid"])
    order = OrderFactory(user=user, total_minor=125000, currency="TWD")

    with transaction.atomic():
        order_paid.send(sender=Order, order=order)
    (announcement,) = _announcements()
    event_announce(job_id=str(announcement.pk))

    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.event_type == "order.paid"
    data = delivery.payload["data"]
    assert data["order_id"] == str(order.pk)
    assert (data["number"], data["total_minor"], data["currency"]) == (order.number, 125000, "TWD")
