"""The notification log API, and the operator actions in the admin."""

import pytest
from django.test import Client

from jobs.models import ProcessingJob
from notifications.models import DeliveryStatus, Notification, RenderStatus, WebhookDelivery
from notifications.services import notification_send, webhook_event_emit
from tests.notifications.factories import VideoRenderFactory, WebhookEndpointFactory

pytestmark = pytest.mark.django_db


def _send(user, **kwargs) -> Notification:
    return notification_send(
        channel="email",
        recipient=user.email,
        template="render_completed",
        context={"code": "secret"},
        user=user,
        **kwargs,
    )


def test_users_list_their_own_notifications_and_staff_list_all(
    user, other_user, user_client, staff_client
):
    mine = _send(user)
    _send(other_user)

    own = user_client.get("/api/v1/notifications/").json()["results"]
    everyone = staff_client.get("/api/v1/notifications/").json()["results"]

    assert [n["id"] for n in own] == [mine.pk]
    assert own[0]["status"] == "queued"
    assert "context" not in own[0]  # may hold one-time codes
    assert len(everyone) == 2


def test_notifications_filter_by_channel_and_status(user, user_client):
    _send(user)

    assert user_client.get("/api/v1/notifications/?channel=sms").json()["results"] == []
    assert len(user_client.get("/api/v1/notifications/?status=queued").json()["results"]) == 1


def _action(client: Client, model: str, action: str, pks: list) -> None:
    response = client.post(
        f"/admin/notifications/{model}/",
        {"action": action, "_selected_action": [str(pk) for pk in pks]},
        follow=True,
    )
    assert response.status_code == 200


def test_admin_resend_queues_a_copy(admin_client, user):
    original = _send(user)

    _action(admin_client, "notification", "resend", [original.pk])

    assert Notification.objects.filter(recipient=user.email).count() == 2


def test_admin_rerun_completion_queues_completed_renders_only(admin_client):
    done = VideoRenderFactory(status=RenderStatus.COMPLETED, oss_link="https://oss.example.com/a")
    busy = VideoRenderFactory(status=RenderStatus.PROCESSING)

    _action(admin_client, "videorender", "rerun_completion", [done.pk, busy.pk])

    (job,) = ProcessingJob.objects.filter(job_type="render_completion")
    assert job.params == {"video_id": done.video_id, "oss_link": done.oss_link, "force": True}


def test_admin_redeliver_sends_finished_deliveries_again(admin_client, user):
    WebhookEndpointFactory(owner=user, event_types=["video.ready"])
    (delivery,) = webhook_event_emit(event_type="video.ready", data={}, owner=user)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)

    _action(admin_client, "webhookdelivery", "redeliver", [delivery.pk])

    copy = WebhookDelivery.objects.get(redelivery_of=delivery)
    assert copy.status == DeliveryStatus.PENDING
    assert copy.event_id == delivery.event_id


@pytest.mark.parametrize(
    "model", ["videorender", "notification", "webhookendpoint", "webhookdelivery"]
)
def test_admin_lists_open(admin_client, model):
    assert admin_client.get(f"/admin/notifications/{model}/").status_code == 200
