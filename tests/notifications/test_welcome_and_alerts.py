"""Seed 003's welcome email, and operators told when a system job fails for good."""

import pytest
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string

from jobs.models import ProcessingJob
from jobs.services.lifecycle import job_fail
from notifications.models import Notification, WebhookDelivery
from notifications.services.events import event_announce
from tests.factories import UserFactory
from tests.notifications.factories import WebhookEndpointFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def welcoming(settings):
    settings.WELCOME_EMAIL = True
    settings.PUBLIC_BASE_URL = "https://shop.example.com"


def test_a_new_user_with_an_email_is_welcomed(welcoming):
    user = get_user_model().objects.create_user(username="mei", email="mei@example.com")

    email = Notification.objects.get(template="accounts/en/welcome")
    assert (email.channel, email.recipient, email.user) == ("email", "mei@example.com", user)
    assert email.job is not None
    body = render_to_string("emails/accounts/en/welcome.txt", email.context)
    assert "Hello mei" in body
    assert "https://shop.example.com" in body


def test_users_without_an_email_and_later_saves_are_not_welcomed(welcoming):
    phone_only = get_user_model().objects.create_user(username="phone886912345678")
    user = get_user_model().objects.create_user(username="lin", email="lin@example.com")
    user.first_name = "Lin"
    user.save()
    phone_only.email = "late@example.com"
    phone_only.save()

    assert list(Notification.objects.values_list("recipient", flat=True)) == ["lin@example.com"]


def test_the_welcome_is_in_chinese_on_a_chinese_site(welcoming, settings):
    settings.LANGUAGE_CODE = "zh-hant"

    get_user_model().objects.create_user(username="lin", email="lin@example.com")

    email = Notification.objects.get()
    assert email.template == "accounts/zh-hant/welcome"
    assert "歡迎加入 Reelhouse" in render_to_string(
        "emails/accounts/zh-hant/welcome.subject.txt", email.context
    )


def _system_job(job_type: str = "daily_sales_report", **fields) -> ProcessingJob:
    return ProcessingJob.objects.create(
        job_type=job_type, celery_task_id=f"t-{job_type}", params={}, **fields
    )


def test_a_system_job_that_fails_for_good_alerts_admins_and_fires_job_failed(
    settings, django_capture_on_commit_callbacks
):
    settings.ADMINS = [("Ops", "ops@example.com"), ("On call", "oncall@example.com")]
    WebhookEndpointFactory(
        owner=UserFactory(is_staff=True, is_superuser=True),
        event_types=["job.failed"],
        all_objects=True,
    )
    job = _system_job()

    with django_capture_on_commit_callbacks(execute=True):
        job_fail(job_id=str(job.pk), error="Storage unreachable; check AWS_S3_ENDPOINT_URL.")

    alerts = Notification.objects.filter(template="system_job_failed").order_by("recipient")
    assert [a.recipient for a in alerts] == ["oncall@example.com", "ops@example.com"]
    body = render_to_string("emails/system_job_failed.txt", alerts[0].context)
    assert "daily_sales_report" in body
    assert "Storage unreachable" in body
    assert f"/admin/jobs/processingjob/{job.pk}/change/" in body
    # job.failed goes out through its announcement job (the outbox), as a worker runs it
    (announcement,) = ProcessingJob.objects.filter(job_type="notification_announce")
    event_announce(job_id=str(announcement.pk))
    delivery = WebhookDelivery.objects.get()
    assert delivery.event_type == "job.failed"
    assert delivery.payload["data"]["job_id"] == str(job.pk)


def test_jobs_a_user_started_tell_the_user_not_the_admins(settings, user):
    settings.ADMINS = [("Ops", "ops@example.com")]

    job_fail(job_id=str(_system_job(created_by=user).pk), error="boom")
    job_fail(job_id=str(_system_job("notification_deliver").pk), error="boom")

    assert not Notification.objects.filter(template="system_job_failed").exists()
