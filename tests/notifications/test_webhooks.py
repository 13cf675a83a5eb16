"""Outbound webhooks without a worker: who gets an event, the retry schedule, the API."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from notifications.delivery import deliver, parse_retry_after
from notifications.models import DeliveryStatus, WebhookDelivery
from notifications.services import (
    retry_delay,
    webhook_deliveries_dispatch_due,
    webhook_deliveries_prune,
    webhook_event_emit,
)
from tests.factories import UserFactory
from tests.notifications.endpoint_requests import post_endpoint
from tests.notifications.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db

SCHEDULE = [0, 5, 300, 1800, 7200, 18000, 36000, 36000]


def test_event_goes_to_the_owners_and_to_superusers_subscribed_to_all_objects(user, other_user):
    mine = WebhookEndpointFactory(owner=user, event_types=["video.ready"])
    everyone = WebhookEndpointFactory(
        owner=UserFactory(is_staff=True, is_superuser=True),
        event_types=["video.ready"],
        all_objects=True,
    )
    # A staff member's own endpoint hears about their own objects only.
    WebhookEndpointFactory(owner=UserFactory(is_staff=True), event_types=["video.ready"])
    WebhookEndpointFactory(
        owner=UserFactory(is_staff=True), event_types=["video.ready"], all_objects=True
    )
    WebhookEndpointFactory(
        owner=UserFactory(is_staff=True, is_superuser=True), event_types=["video.ready"]
    )
    WebhookEndpointFactory(owner=other_user, event_types=["video.ready"])
    WebhookEndpointFactory(owner=user, event_types=["order.paid"])
    WebhookEndpointFactory(owner=user, event_types=["video.ready"], is_active=False)

    deliveries = webhook_event_emit(event_type="video.ready", data={"video_id": "1"}, owner=user)

    assert {d.endpoint for d in deliveries} == {mine, everyone}
    assert len({d.event_id for d in deliveries}) == 1
    assert all(d.current_job.job_type == "webhook_deliver" for d in deliveries)
    assert all(d.current_job.queue == "default" for d in deliveries)


def test_only_superusers_may_subscribe_to_all_objects(client, user):
    from rest_framework.test import APIClient

    staff = UserFactory(is_staff=True)
    api = APIClient()
    api.force_authenticate(staff)

    response = post_endpoint(api, "https://hooks.example.com/x", ["video.ready"], all_objects=True)

    assert response.status_code == 403
    assert "Only superusers" in response.json()["detail"]


def test_event_payload_has_id_type_timestamp_and_data(user):
    WebhookEndpointFactory(owner=user, event_types=["order.paid"])

    (delivery,) = webhook_event_emit(
        event_type="order.paid", data={"order_id": 7, "at": timezone.now()}, owner=user
    )

    payload = delivery.payload
    assert payload["id"].startswith("evt_") and payload["id"] == delivery.event_id
    assert payload["type"] == "order.paid"
    assert datetime.fromisoformat(payload["timestamp"]).tzinfo is not None
    assert payload["data"]["order_id"] == 7
    assert isinstance(payload["data"]["at"], str)


def test_event_without_an_owner_reaches_only_endpoints_subscribed_to_all_objects(user):
    WebhookEndpointFactory(owner=user, event_types=["job.failed"])
    WebhookEndpointFactory(owner=UserFactory(is_staff=True), event_types=["job.failed"])
    everyone = WebhookEndpointFactory(
        owner=UserFactory(is_staff=True, is_superuser=True),
        event_types=["job.failed"],
        all_objects=True,
    )

    deliveries = webhook_event_emit(event_type="job.failed", data={}, owner=None)

    assert [d.endpoint for d in deliveries] == [everyone]


def test_unknown_event_type_is_refused(user):
    with pytest.raises(ValueError, match="Unknown webhook event type"):
        webhook_event_emit(event_type="video.exploded", data={}, owner=user)


def test_retry_schedule_has_eight_attempts_with_jitter(settings):
    settings.WEBHOOK_RETRY_SCHEDULE_SECONDS = SCHEDULE

    delays = [retry_delay(attempts_made=n) for n in range(1, 8)]

    for delay, planned in zip(delays, SCHEDULE[1:], strict=True):
        assert planned <= delay <= planned * 1.1
    assert retry_delay(attempts_made=8) is None


def test_retry_after_longer_than_the_schedule_wins(settings):
    settings.WEBHOOK_RETRY_SCHEDULE_SECONDS = SCHEDULE

    assert retry_delay(attempts_made=1, retry_after=120) == 120
    assert 300 <= retry_delay(attempts_made=2, retry_after=10) <= 330
    assert retry_delay(attempts_made=1, retry_after=10**9) == 24 * 3600


def test_retry_after_is_read_as_seconds_or_an_http_date():
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)

    assert parse_retry_after("120") == 120
    assert parse_retry_after("Thu, 01 Jan 2026 12:05:00 GMT", now=now) == 300
    assert parse_retry_after("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_loopback_target_is_refused_at_delivery_when_private_targets_are_not_allowed():
    outcome = deliver(url="http://127.0.0.1/hook", body=b"{}", headers={}, allow_private=False)

    assert outcome.refused
    assert outcome.status_code is None
    assert "loopback" in outcome.error


def test_sweep_starts_due_retries_without_a_live_job(user):
    endpoint = WebhookEndpointFactory(owner=user)
    due = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_type="video.ready",
        event_id="evt_due",
        payload={},
        next_attempt_at=timezone.now() - timedelta(seconds=1),
        attempt_count=3,
    )
    WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_type="video.ready",
        event_id="evt_later",
        payload={},
        next_attempt_at=timezone.now() + timedelta(hours=2),
    )

    assert webhook_deliveries_dispatch_due() == 1
    assert webhook_deliveries_dispatch_due() == 0  # the started attempt's job is live

    due.refresh_from_db()
    assert due.current_job.params == {"delivery_id": str(due.pk)}


def test_prune_deletes_only_old_successful_deliveries(user):
    endpoint = WebhookEndpointFactory(owner=user)
    old = timezone.now() - timedelta(days=40)

    def make(event_id: str, status: str, delivered_at=None) -> WebhookDelivery:
        return WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_type="video.ready",
            event_id=event_id,
            payload={},
            status=status,
            delivered_at=delivered_at,
        )

    make("evt_old_ok", DeliveryStatus.DELIVERED, old)
    make("evt_new_ok", DeliveryStatus.DELIVERED, timezone.now())
    make("evt_old_failed", DeliveryStatus.FAILED)

    assert webhook_deliveries_prune(older_than=timedelta(days=30), dry_run=True) == 1
    assert webhook_deliveries_prune(older_than=timedelta(days=30)) == 1

    left = set(WebhookDelivery.objects.values_list("event_id", flat=True))
    assert left == {"evt_new_ok", "evt_old_failed"}


# --- API --------------------------------------------------------------------------------
def test_creating_an_endpoint_shows_its_secret_once(user_client, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True

    response = post_endpoint(user_client, "http://127.0.0.1/hook", ["video.ready", "order.paid"])

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["secret"].startswith("whsec_")
    assert body["event_types"] == ["video.ready", "order.paid"]
    again = user_client.get(f"/api/v1/webhook-endpoints/{body['id']}/")
    assert again.status_code == 200
    assert "secret" not in again.json()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://127.0.0.1/hook", "loopback"),
        ("http://10.1.2.3/hook", "private"),
    ],
)
def test_creating_an_endpoint_for_an_internal_address_is_refused(user_client, url, problem):
    response = post_endpoint(user_client, url, ["video.ready"])

    assert response.status_code == 400
    assert problem in response.json()["detail"]


def test_creating_an_endpoint_for_an_unknown_event_type_is_refused(user_client, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True

    response = post_endpoint(user_client, "http://127.0.0.1/hook", ["video.exploded"])

    assert response.status_code == 400
    assert "event_types" in response.json()["errors"]


def test_others_endpoints_are_not_found_and_staff_see_all(user_client, staff_client, other_user):
    theirs = WebhookEndpointFactory(owner=other_user)

    assert user_client.get(f"/api/v1/webhook-endpoints/{theirs.pk}/").status_code == 404
    assert user_client.delete(f"/api/v1/webhook-endpoints/{theirs.pk}/").status_code == 404
    assert staff_client.get(f"/api/v1/webhook-endpoints/{theirs.pk}/").status_code == 200


def test_re_enabling_an_endpoint_clears_its_failure_record(user, user_client):
    endpoint = WebhookEndpointFactory(
        owner=user, is_active=False, failure_streak=5, disabled_reason="5 deliveries failed."
    )

    response = user_client.patch(
        f"/api/v1/webhook-endpoints/{endpoint.pk}/", {"is_active": True}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["is_active"] is True
    assert response.json()["failure_streak"] == 0
    assert response.json()["disabled_reason"] == ""


def test_endpoint_deliveries_list_its_deliveries(user, user_client):
    endpoint = WebhookEndpointFactory(owner=user, event_types=["video.ready"])
    webhook_event_emit(event_type="video.ready", data={"n": 1}, owner=user)

    response = user_client.get(f"/api/v1/webhook-endpoints/{endpoint.pk}/deliveries/")

    assert response.status_code == 200
    (delivery,) = response.json()["results"]
    assert delivery["event_type"] == "video.ready"
    assert delivery["status"] == "pending"
    assert delivery["attempts"] == []


def test_redelivering_a_pending_delivery_is_refused(user, user_client):
    WebhookEndpointFactory(owner=user, event_types=["video.ready"])
    (delivery,) = webhook_event_emit(event_type="video.ready", data={}, owner=user)

    response = user_client.post(f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver/")

    assert response.status_code == 400
    assert "still being delivered" in response.json()["detail"]


def test_redelivering_someone_elses_delivery_is_not_found(user_client, other_user):
    WebhookEndpointFactory(owner=other_user, event_types=["video.ready"])
    (delivery,) = webhook_event_emit(event_type="video.ready", data={}, owner=other_user)

    response = user_client.post(f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver/")

    assert response.status_code == 404
