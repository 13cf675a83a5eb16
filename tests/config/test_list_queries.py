"""Every API list answers in the same number of queries whatever its page size (no N+1)."""

from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from notifications.models import Channel, Notification
from tests.commerce.factories import (
    CartItemFactory,
    LiveStreamFactory,
    PaymentFactory,
    ProductFactory,
    order_with_item,
)
from tests.dashboard.factories import WebhookAttemptFactory, WebhookDeliveryFactory
from tests.factories import UserFactory
from tests.jobs.factories import ProcessingJobFactory
from tests.notifications.factories import VideoRenderFactory, WebhookEndpointFactory
from tests.videos.factories import VideoFactory

pytestmark = pytest.mark.django_db


def _delivery(user) -> None:
    delivery = WebhookDeliveryFactory(endpoint__owner=user)
    WebhookAttemptFactory(delivery=delivery)
    WebhookAttemptFactory(delivery=delivery)


# url -> (make one row the requester may list, whether only staff may list it)
LISTS: dict[str, tuple[Callable, bool]] = {
    "/api/v1/jobs/": (lambda user: ProcessingJobFactory(created_by=user), False),
    "/api/v1/videos/": (lambda user: VideoFactory(owner=user), False),
    "/api/v1/products/": (lambda user: ProductFactory(), False),
    "/api/v1/carts/": (lambda user: CartItemFactory(cart__user=user), False),
    "/api/v1/orders/": (lambda user: order_with_item(user=user), False),
    "/api/v1/payments/": (lambda user: PaymentFactory(order__user=user), False),
    "/api/v1/streams/": (lambda user: LiveStreamFactory(host=user), False),
    "/api/v1/notifications/": (
        lambda user: Notification.objects.create(
            user=user, channel=Channel.EMAIL, recipient="a@example.com", template="t"
        ),
        False,
    ),
    "/api/v1/webhook-endpoints/": (lambda user: WebhookEndpointFactory(owner=user), False),
    "/api/v1/webhook-deliveries/": (_delivery, False),
    "/api/v1/renders/": (lambda user: VideoRenderFactory(), True),
}


def _queries(client: APIClient, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, {"page_size": 50})
    assert response.status_code == 200, response.content
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    return len(captured), len(rows)


@pytest.mark.parametrize("url", sorted(LISTS))
def test_a_list_costs_the_same_queries_for_one_row_and_for_many(url):
    make, staff_only = LISTS[url]
    user = UserFactory(is_staff=staff_only, is_superuser=staff_only)
    client = APIClient()
    client.force_authenticate(user)
    make(user)
    _queries(client, url)  # warm per-process caches (content types, settings)
    one, rows_one = _queries(client, url)

    for _ in range(7):
        make(user)
    many, rows_many = _queries(client, url)

    assert rows_many > rows_one, "the list did not grow: the test would prove nothing"
    assert many == one, f"{url}: {one} queries for {rows_one} row(s), {many} for {rows_many}"
