"""Outbound webhooks delivered by a real worker to a real HTTP receiver on 127.0.0.1."""

import json

import pytest
from standardwebhooks.webhooks import Webhook

from notifications.models import DeliveryStatus, WebhookDelivery
from notifications.services import (
    webhook_attempt_run,
    webhook_delivery_redeliver,
    webhook_event_emit,
)
from tests.factories import UserFactory
from tests.notifications.factories import WebhookEndpointFactory
from tests.notifications.http_servers import Reply
from tests.waiting import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _finished(delivery: WebhookDelivery) -> bool:
    delivery.refresh_from_db()
    return delivery.status != DeliveryStatus.PENDING


def _emit_to(url: str, *, owner=None, event_type: str = "video.ready") -> WebhookDelivery:
    owner = owner or UserFactory()
    endpoint = WebhookEndpointFactory(owner=owner, url=url, event_types=[event_type])
    (delivery,) = webhook_event_emit(
        event_type=event_type, data={"video_id": "v-1", "title": "Cats"}, owner=owner
    )
    assert delivery.endpoint == endpoint
    return delivery


def test_delivery_is_signed_so_the_receiver_verifies_it(notif_worker, http_server):
    url = http_server.route(Reply(200, b'{"thanks": true}'))
    delivery = _emit_to(url)

    wait_for(lambda: _finished(delivery), message="delivery finished")

    assert delivery.status == DeliveryStatus.DELIVERED
    (request,) = http_server.received(url)
    payload = Webhook(delivery.endpoint.secret).verify(request.body, request.headers)
    assert payload["id"] == delivery.event_id == request.headers["webhook-id"]
    assert payload["type"] == "video.ready"
    assert payload["data"] == {"video_id": "v-1", "title": "Cats"}
    assert request.headers["content-type"] == "application/json"
    (attempt,) = delivery.attempts.all()
    assert attempt.response_code == 200
    assert attempt.response_excerpt == '{"thanks": true}'


def test_receiver_error_is_retried_until_delivered_with_the_same_event_id(
    notif_worker, http_server
):
    url = http_server.route(Reply(500, b"try later"), Reply(200))
    delivery = _emit_to(url)

    wait_for(lambda: _finished(delivery), timeout=30, message="delivery finished")

    assert delivery.status == DeliveryStatus.DELIVERED
    assert [a.response_code for a in delivery.attempts.all()] == [500, 200]
    assert delivery.attempts.first().response_excerpt == "try later"
    first, second = http_server.received(url)
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == delivery.event_id
    Webhook(delivery.endpoint.secret).verify(second.body, second.headers)


def test_a_delivered_event_is_not_sent_again_when_its_attempt_runs_twice(notif_worker, http_server):
    url = http_server.route()
    delivery = _emit_to(url)
    wait_for(lambda: _finished(delivery), message="delivery finished")

    # when the attempt runs again (a redelivered message of the same job)
    outcome = webhook_attempt_run(delivery_id=str(delivery.pk), job_id=str(delivery.current_job_id))

    assert outcome["skipped"] == "delivery already delivered"
    assert len(http_server.received(url)) == 1
    assert delivery.attempts.count() == 1


def test_receiver_answering_410_disables_the_endpoint(notif_worker, http_server):
    url = http_server.route(Reply(410, b"gone"))
    delivery = _emit_to(url)

    wait_for(lambda: _finished(delivery), message="delivery finished")

    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempt_count == 1
    delivery.endpoint.refresh_from_db()
    assert delivery.endpoint.is_active is False
    assert "410" in delivery.endpoint.disabled_reason


def test_redirect_is_not_followed_and_counts_as_a_failed_attempt(notif_worker, http_server):
    elsewhere = http_server.route()
    url = http_server.route(Reply(302, b"", {"Location": elsewhere}))
    delivery = _emit_to(url)

    wait_for(lambda: _finished(delivery), timeout=30, message="delivery finished")

    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempt_count == 4  # the test schedule's attempts
    assert "redirects are not followed" in delivery.last_error
    assert http_server.received(elsewhere) == []


def test_link_local_target_is_refused_at_delivery_time(notif_worker):
    delivery = _emit_to("http://169.254.169.254/latest/meta-data/")

    wait_for(lambda: _finished(delivery), message="delivery finished")

    assert delivery.status == DeliveryStatus.FAILED
    (attempt,) = delivery.attempts.all()
    assert attempt.response_code is None
    assert "link-local" in attempt.error


def test_redelivery_sends_the_event_again_as_a_new_delivery(notif_worker, http_server):
    url = http_server.route()
    delivery = _emit_to(url)
    wait_for(lambda: _finished(delivery), message="first delivery")

    again = webhook_delivery_redeliver(delivery=delivery)
    wait_for(lambda: _finished(again), message="redelivery")

    assert again.status == DeliveryStatus.DELIVERED
    assert again.redelivery_of == delivery
    first, second = http_server.received(url)
    assert json.loads(first.body) == json.loads(second.body)
    assert second.headers["webhook-id"] == delivery.event_id
