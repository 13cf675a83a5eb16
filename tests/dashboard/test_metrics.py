"""`GET /metrics`: who may scrape it and what it reports."""

from datetime import timedelta

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from config.celery import QUEUE_NAMES
from jobs.models import JobStatus
from tests.dashboard.factories import (
    PaymentEventFactory,
    WebhookAttemptFactory,
    WebhookDeliveryFactory,
    finished_job,
)
from tests.jobs.factories import ProcessingJobFactory

pytestmark = pytest.mark.django_db

TOKEN = "scrape-me-please-0123456789"


def _samples(response) -> dict[tuple[str, tuple], float]:
    """Parse the exposition text into {(sample name, sorted labels): value}."""
    text = response.content.decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_anonymous_scrape_is_refused_with_401():
    response = Client().get("/metrics")

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_logged_in_user_who_is_not_staff_is_refused_with_403(user):
    client = Client()
    client.force_login(user)

    assert client.get("/metrics").status_code == 403


def test_staff_session_can_read_metrics(admin_client):
    response = admin_client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")


def test_bearer_token_scrapes_when_metrics_token_is_set(settings):
    settings.METRICS_TOKEN = TOKEN

    response = Client().get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})

    assert response.status_code == 200
    assert b"reelhouse_jobs" in response.content


def test_wrong_bearer_token_is_refused(settings):
    settings.METRICS_TOKEN = TOKEN

    response = Client().get("/metrics", headers={"Authorization": "Bearer not-the-token"})

    assert response.status_code == 401
    assert "invalid_token" in response["WWW-Authenticate"]


def test_bearer_tokens_are_refused_when_no_metrics_token_is_configured(settings):
    settings.METRICS_TOKEN = ""

    response = Client().get("/metrics", headers={"Authorization": "Bearer "})

    assert response.status_code == 401


def test_jobs_are_counted_by_type_and_status(admin_client):
    ProcessingJobFactory.create_batch(2, status=JobStatus.QUEUED)
    ProcessingJobFactory(job_type="csv_stats", failed=True)

    samples = _samples(admin_client.get("/metrics"))

    assert samples[("reelhouse_jobs", (("job_type", "sleep"), ("status", "queued")))] == 2
    assert samples[("reelhouse_jobs", (("job_type", "csv_stats"), ("status", "failed")))] == 1
    # every registered type reports every status, zeros included
    assert samples[("reelhouse_jobs", (("job_type", "send_emails"), ("status", "running")))] == 0


def test_queue_depths_are_reported_per_queue(admin_client):
    samples = _samples(admin_client.get("/metrics"))

    assert samples[("reelhouse_broker_up", ())] == 1
    for queue in QUEUE_NAMES:
        assert ("reelhouse_queue_depth", (("queue", queue),)) in samples


def test_job_durations_of_the_last_day_form_a_histogram(admin_client):
    # given sleep jobs that ran 0.3 s, 4 s and 45 s; a failed one and a 2-day-old one
    for seconds in (0.3, 4, 45):
        finished_job(status=JobStatus.COMPLETED, seconds=seconds)
    finished_job(status=JobStatus.FAILED, seconds=1)
    finished_job(status=JobStatus.COMPLETED, seconds=1, ago=timedelta(days=2))

    samples = _samples(admin_client.get("/metrics"))

    def bucket(le: str) -> float:
        key = ("reelhouse_job_duration_seconds_bucket", (("job_type", "sleep"), ("le", le)))
        return samples[key]

    assert bucket("0.5") == 1
    assert bucket("5.0") == 2
    assert bucket("30.0") == 2
    assert bucket("60.0") == 3
    assert bucket("+Inf") == 3
    assert samples[("reelhouse_job_duration_seconds_count", (("job_type", "sleep"),))] == 3
    total = samples[("reelhouse_job_duration_seconds_sum", (("job_type", "sleep"),))]
    assert total == pytest.approx(49.3, abs=0.01)


def test_webhook_deliveries_are_counted_by_status_and_attempts_by_code_class(admin_client):
    delivered = WebhookDeliveryFactory.create_batch(2, status="delivered")
    failed = WebhookDeliveryFactory(status="failed")
    WebhookAttemptFactory(delivery=failed, response_code=503)
    WebhookAttemptFactory(delivery=failed, response_code=None, error="timed out")
    WebhookAttemptFactory(delivery=delivered[0], response_code=200)

    samples = _samples(admin_client.get("/metrics"))

    delivered_key = (("event_type", "video.ready"), ("status", "delivered"))
    assert samples[("reelhouse_webhook_deliveries", delivered_key)] == 2
    failed_key = (("event_type", "video.ready"), ("status", "failed"))
    assert samples[("reelhouse_webhook_deliveries", failed_key)] == 1
    assert samples[("reelhouse_webhook_attempts", (("code_class", "5xx"),))] == 1
    assert samples[("reelhouse_webhook_attempts", (("code_class", "none"),))] == 1
    assert samples[("reelhouse_webhook_attempts", (("code_class", "2xx"),))] == 1


def test_payment_events_are_counted_by_provider_and_outcome(admin_client):
    PaymentEventFactory.create_batch(2, provider="stripe", processing_status="processed")
    PaymentEventFactory(provider="ecpay", processing_status="amount_mismatch")

    samples = _samples(admin_client.get("/metrics"))

    stripe = (("outcome", "processed"), ("provider", "stripe"))
    ecpay = (("outcome", "amount_mismatch"), ("provider", "ecpay"))
    assert samples[("reelhouse_payment_events", stripe)] == 2
    assert samples[("reelhouse_payment_events", ecpay)] == 1
