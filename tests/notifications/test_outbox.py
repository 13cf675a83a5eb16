"""Side effects are outbox jobs: written with the change, published after commit, and
never lost when the process dies between the two (real worker, real subprocess)."""

import os
import subprocess
import sys
import textwrap
import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction

from jobs.models import JobStatus, ProcessingJob
from jobs.services import job_fail
from notifications.models import DeliveryStatus, Notification, NotificationStatus
from tests import workers
from tests.factories import UserFactory
from tests.notifications.factories import WebhookEndpointFactory
from tests.waiting import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# Fails the job, then dies right after the commit, before any on-commit publish runs:
# the first on-commit callback registered runs first.
DIE_AFTER_COMMIT = textwrap.dedent(
    """
    import os, sys
    import django
    django.setup()
    from django.db import transaction
    from jobs.services import job_fail
    with transaction.atomic():
        transaction.on_commit(lambda: os._exit(0))
        job_fail(job_id=sys.argv[1], error="Disk full; free some space and retry.")
    raise SystemExit("the on-commit exit did not run")
    """
)


def _fail_job_in_a_process_that_dies_after_commit(job_id: str) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.worker_settings",
        "DATABASE_URL": workers.test_database_url(),
    }
    done = subprocess.run(
        [sys.executable, "-c", DIE_AFTER_COMMIT, job_id],
        cwd=workers.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-4000:]


def _running_job(owner) -> ProcessingJob:
    """A job a worker is running (no message of its own: a queue no test worker reads)."""
    return ProcessingJob.objects.create(
        job_type="sleep",
        queue="test-outbox-unread",
        status=JobStatus.RUNNING,
        celery_task_id=str(uuid.uuid4()),
        created_by=owner,
    )


def test_announcement_lost_with_its_process_is_published_by_the_watchdog_once(
    notif_worker, http_server
):
    # given a failed job whose process died between the commit and the publish
    owner = UserFactory()
    url = http_server.route()
    endpoint = WebhookEndpointFactory(owner=owner, url=url, event_types=["job.failed"])
    job = _running_job(owner)
    _fail_job_in_a_process_that_dies_after_commit(str(job.pk))
    announcement = ProcessingJob.objects.get(job_type="notification_announce")
    assert announcement.status == JobStatus.PENDING  # written with the failure, never sent
    assert not endpoint.deliveries.exists()

    # when the watchdog's requeue runs
    out = StringIO()
    call_command("requeue_stuck", "--older-than", "0", stdout=out)

    # then the announcement runs, and the webhook and the email go out once
    assert str(announcement.pk) in out.getvalue()
    delivery = wait_for(
        lambda: endpoint.deliveries.filter(status=DeliveryStatus.DELIVERED).first(),
        message="job.failed delivered",
    )
    email = wait_for(
        lambda: Notification.objects.filter(
            template="job_failed", status=NotificationStatus.SENT
        ).first(),
        message="email sent",
    )
    announcement.refresh_from_db()
    assert announcement.status == JobStatus.COMPLETED
    assert delivery.payload["data"]["job_id"] == str(job.pk)
    assert email.recipient == owner.email
    assert len(http_server.received(url)) == 1
    assert endpoint.deliveries.count() == 1
    assert Notification.objects.filter(template="job_failed").count() == 1


def test_announcement_runs_once_after_commit(notif_worker, http_server):
    owner = UserFactory()
    url = http_server.route()
    endpoint = WebhookEndpointFactory(owner=owner, url=url, event_types=["job.failed"])
    job = _running_job(owner)

    job_fail(job_id=str(job.pk), error="The input is not a CSV file.")

    wait_for(
        lambda: endpoint.deliveries.filter(status=DeliveryStatus.DELIVERED).exists(),
        message="job.failed delivered",
    )
    announcement = ProcessingJob.objects.get(job_type="notification_announce")
    wait_for(
        lambda: (announcement.refresh_from_db(), announcement.status == JobStatus.COMPLETED)[1],
        message="announcement completed",
    )
    assert announcement.attempts == 1
    assert len(http_server.received(url)) == 1


def test_a_rolled_back_failure_announces_nothing(notif_worker, http_server):
    # given a job failure whose transaction rolls back, then one that commits
    owner = UserFactory()
    url = http_server.route()
    endpoint = WebhookEndpointFactory(owner=owner, url=url, event_types=["job.failed"])
    rolled_back, committed = _running_job(owner), _running_job(owner)
    with pytest.raises(RuntimeError), transaction.atomic():
        job_fail(job_id=str(rolled_back.pk), error="never happened")
        raise RuntimeError("the change fails after the failure was recorded")
    job_fail(job_id=str(committed.pk), error="The input is not a CSV file.")

    # when the worker has announced the committed one (published after the other would be)
    wait_for(
        lambda: endpoint.deliveries.filter(status=DeliveryStatus.DELIVERED).exists(),
        message="job.failed delivered",
    )

    # then only the committed failure was ever announced
    (announcement,) = ProcessingJob.objects.filter(job_type="notification_announce")
    assert announcement.params["object_id"] == str(committed.pk)
    (delivery,) = endpoint.deliveries.all()
    assert delivery.payload["data"]["job_id"] == str(committed.pk)
    assert len(http_server.received(url)) == 1
