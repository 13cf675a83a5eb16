"""Secrets stay secret: codes masked in logs, no internals in public or owner-facing text."""

import logging

import pytest

from jobs.job_types.sleep import sleep_job
from jobs.models import JobStatus, ProcessingJob
from jobs.services import job_create
from notifications.sms import ConsoleSmsBackend

pytestmark = pytest.mark.django_db


def test_the_console_sms_backend_masks_one_time_codes(caplog):
    caplog.set_level(logging.INFO, logger="notifications.sms")

    ConsoleSmsBackend().send(to="+886912345678", body="Reelhouse: your code is 482913.")

    assert "482913" not in caplog.text
    assert "your code is ••••••" in caplog.text


def test_an_otp_request_never_logs_or_stores_the_code_in_clear(api_client, caplog, settings):
    from commerce.models import OtpChallenge
    from notifications.models import Notification
    from notifications.sealing import unseal
    from notifications.services import notification_deliver

    settings.DEBUG = True  # the console SMS backend sends (and logs) only in development
    caplog.set_level(logging.DEBUG)
    api_client.post("/api/v1/auth/otp/", {"phone": "+886912345678"})
    sms = Notification.objects.get(channel="sms")
    code = unseal(sms.context)["code"]

    notification_deliver(notification_id=sms.pk)

    assert code not in caplog.text
    assert code not in str(Notification.objects.get(pk=sms.pk).context)
    assert code not in OtpChallenge.objects.get().code_hash
    assert code not in str(ProcessingJob.objects.values_list("params", flat=True))


def test_a_queued_code_is_stored_sealed(api_client):
    from notifications.models import Notification
    from notifications.sealing import unseal

    api_client.post("/api/v1/auth/otp/", {"phone": "+886912345678"})

    context = Notification.objects.get(channel="sms").context
    code = unseal(context)["code"]
    assert len(code) == 6 and code not in str(context)


def test_an_unexpected_error_is_shown_to_its_owner_without_internals(
    user, user_client, staff_client, monkeypatch
):
    def leaky(run):
        raise RuntimeError("could not reach postgres://app:hunter2@10.0.0.5/prod")

    monkeypatch.setattr(sleep_job, "job_function", leaky)
    job = job_create(job_type="sleep", params={"seconds": 0}, created_by=user)
    job.refresh_from_db()

    sleep_job.apply(args=[str(job.pk)], task_id=job.celery_task_id)

    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    as_owner = user_client.get(f"/api/v1/jobs/{job.pk}/").json()
    as_staff = staff_client.get(f"/api/v1/jobs/{job.pk}/").json()
    assert "hunter2" not in str(as_owner)
    assert "unexpected internal error" in as_owner["error"]
    assert as_owner["traceback"] == ""
    assert "hunter2" in as_staff["traceback"]
