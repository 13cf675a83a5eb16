"""What a stranger with a token may do with jobs: staff-only types, capped sleeps, quotas."""

import pytest

from config.celery import QUEUE_NAMES, USER_JOBS_QUEUE
from jobs.models import JobStatus, ProcessingJob
from jobs.registry import all_job_types
from tests.jobs.factories import ProcessingJobFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/jobs/"
EMAIL_JOB = {
    "job_type": "send_emails",
    "params": {"recipients": ["victim@example.com"], "subject": "Hi", "body": "Click here"},
}


def test_a_user_cannot_send_email_to_arbitrary_addresses(user_client):
    response = user_client.post(URL, EMAIL_JOB, format="json")

    assert response.status_code == 403
    assert "Only staff can submit 'send_emails' jobs" in response.json()["detail"]
    assert not ProcessingJob.objects.exists()


def test_staff_can_send_emails(staff_client):
    response = staff_client.post(URL, EMAIL_JOB, format="json")

    assert response.status_code == 202


def test_the_types_a_user_sees_leave_out_staff_only_ones(user_client, staff_client):
    user_types = {t["name"] for t in user_client.get(f"{URL}types/").json()}
    staff_types = {t["name"] for t in staff_client.get(f"{URL}types/").json()}

    assert "send_emails" not in user_types
    assert {"sleep", "csv_stats", "resize_images"} <= user_types
    assert "send_emails" in staff_types


def test_a_user_cannot_retry_a_staff_only_job(user_client, user):
    job = ProcessingJobFactory(job_type="send_emails", created_by=user, status=JobStatus.FAILED)

    response = user_client.post(f"{URL}{job.pk}/retry/")

    assert response.status_code == 403


def test_a_users_sleep_is_capped_at_a_minute(user_client):
    response = user_client.post(
        URL, {"job_type": "sleep", "params": {"seconds": 61}}, format="json"
    )

    assert response.status_code == 400
    assert "less than or equal to 60" in response.json()["errors"]["params"]["seconds"][0]
    sleep = next(t for t in user_client.get(f"{URL}types/").json() if t["name"] == "sleep")
    assert next(f for f in sleep["fields"] if f["name"] == "seconds")["max"] == 60


def test_staff_may_sleep_longer(staff_client):
    response = staff_client.post(
        URL, {"job_type": "sleep", "params": {"seconds": 600}}, format="json"
    )

    assert response.status_code == 202


def test_user_jobs_run_on_their_own_queue(user_client):
    response = user_client.post(URL, {"job_type": "sleep", "params": {"seconds": 1}}, format="json")

    assert response.json()["queue"] == USER_JOBS_QUEUE
    assert USER_JOBS_QUEUE in QUEUE_NAMES
    submittable = [jt for jt in all_job_types() if jt.user_submittable]
    assert submittable and all(jt.queue == USER_JOBS_QUEUE for jt in submittable)
    # The system's notifications and webhooks stay on another queue.
    assert all(jt.queue != USER_JOBS_QUEUE for jt in all_job_types() if not jt.user_submittable)


def test_the_active_jobs_of_a_user_are_capped(user_client, user, settings):
    settings.JOBS_MAX_ACTIVE_PER_USER = 3
    ProcessingJobFactory.create_batch(2, created_by=user)
    ProcessingJobFactory(created_by=user, running=True)
    ProcessingJobFactory.create_batch(5, created_by=user, status=JobStatus.COMPLETED)

    response = user_client.post(URL, {"job_type": "sleep"}, format="json")

    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "quota_exceeded"
    assert "You already have 3 jobs waiting or running; the limit is 3" in body["detail"]
    assert ProcessingJob.objects.filter(created_by=user).count() == 8


def test_a_retry_counts_against_the_quota(user_client, user, settings):
    settings.JOBS_MAX_ACTIVE_PER_USER = 1
    failed = ProcessingJobFactory(created_by=user, status=JobStatus.FAILED)
    ProcessingJobFactory(created_by=user)

    response = user_client.post(f"{URL}{failed.pk}/retry/")

    assert response.status_code == 429


def test_staff_are_not_held_to_the_jobs_quota(staff_client, staff_user, settings):
    settings.JOBS_MAX_ACTIVE_PER_USER = 1
    ProcessingJobFactory(created_by=staff_user)

    response = staff_client.post(URL, {"job_type": "sleep"}, format="json")

    assert response.status_code == 202
