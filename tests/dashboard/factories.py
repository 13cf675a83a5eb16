"""Rows the dashboard and /metrics report on, from other apps (rows only)."""

import uuid
from datetime import timedelta

import factory
from django.utils import timezone

from commerce.models import PaymentEvent
from notifications.models import WebhookAttempt, WebhookDelivery
from tests.jobs.factories import ProcessingJobFactory
from tests.notifications.factories import WebhookEndpointFactory


def finished_job(*, status: str, seconds: float, ago: timedelta = timedelta(0), **kwargs):
    """A completed or failed job that ran for `seconds` and finished `ago`."""
    completed_at = timezone.now() - ago
    return ProcessingJobFactory(
        status=status,
        attempts=1,
        started_at=completed_at - timedelta(seconds=seconds),
        completed_at=completed_at,
        **kwargs,
    )


class WebhookDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    endpoint = factory.SubFactory(WebhookEndpointFactory)
    event_type = "video.ready"
    event_id = factory.LazyFunction(lambda: f"evt_{uuid.uuid4().hex}")
    payload = factory.LazyFunction(lambda: {"type": "video.ready"})


class WebhookAttemptFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookAttempt

    delivery = factory.SubFactory(WebhookDeliveryFactory)
    number = factory.Sequence(lambda n: n + 1)
    response_code = 200


class PaymentEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentEvent

    provider = "stripe"
    provider_event_id = factory.LazyFunction(lambda: f"evt_{uuid.uuid4().hex}")
    event_type = "payment_intent.succeeded"
    payload = factory.LazyFunction(dict)
    signature_verified = True
