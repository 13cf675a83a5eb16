"""The jobs admin: list and detail pages for operators, and their bulk actions."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from jobs.models import JobStatus, ProcessingJob
from tests.jobs.factories import ProcessingJobFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:jobs_processingjob_changelist")


@pytest.fixture
def admin_browser(staff_user) -> Client:
    client = Client()
    client.force_login(staff_user)
    return client


def _messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def _act(client: Client, action: str, jobs: list[ProcessingJob]):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [str(job.pk) for job in jobs]},
        follow=True,
    )


def test_changelist_shows_status_progress_and_filters(admin_browser):
    job = ProcessingJobFactory(running=True, progress=42, job_type="csv_stats")

    response = admin_browser.get(CHANGELIST)

    assert response.status_code == 200
    page = response.content.decode()
    assert str(job.pk)[:8] in page
    assert '<progress value="42" max="100"' in page
    assert "csv_stats" in page
    assert "1/3" in page  # attempts
    for filter_title in ("By status", "By job type", "By queue", "By created at"):
        assert filter_title in page


def test_changelist_filters_and_searches(admin_browser):
    failed = ProcessingJobFactory(failed=True, error="Line 17: expected 4 fields")
    completed = ProcessingJobFactory(completed=True)

    by_status = admin_browser.get(CHANGELIST, {"status__exact": "failed"}).content.decode()
    by_search = admin_browser.get(CHANGELIST, {"q": "Line 17"}).content.decode()

    assert str(failed.pk)[:8] in by_status
    assert str(completed.pk)[:8] not in by_status
    assert str(failed.pk)[:8] in by_search
    assert str(completed.pk)[:8] not in by_search


def test_detail_is_read_only_with_pretty_json_traceback_and_target_link(admin_browser, user):
    job = ProcessingJobFactory(
        failed=True,
        params={"seconds": 1, "fail": True},
        target_content_type=ContentType.objects.get_for_model(get_user_model()),
        target_object_id=str(user.pk),
    )

    response = admin_browser.get(reverse("admin:jobs_processingjob_change", args=[job.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "&quot;fail&quot;: true" in page
    assert "ValueError: boom" in page
    assert reverse("admin:auth_user_change", args=[user.pk]) in page
    assert 'name="_save"' not in page


def test_admin_pages_need_staff(client, user):
    client.force_login(user)

    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_cancel_action_cancels_waiting_jobs_and_reports_refusals(admin_browser):
    queued = ProcessingJobFactory()
    completed = ProcessingJobFactory(completed=True)

    response = _act(admin_browser, "cancel_jobs", [queued, completed])

    queued.refresh_from_db()
    assert queued.status == JobStatus.CANCELLED
    messages = _messages(response)
    assert any("1 job(s)" in m and m.startswith("Cancelled") for m in messages)
    assert any(
        m.startswith("Refused 1 job(s)") and str(completed.pk)[:8] in m and "already" in m
        for m in messages
    )


def test_retry_action_creates_new_jobs_for_failed_ones(admin_browser, staff_user):
    failed = ProcessingJobFactory(failed=True)
    running = ProcessingJobFactory(running=True)

    response = _act(admin_browser, "retry_jobs", [failed, running])

    retry = ProcessingJob.objects.get(retry_of=failed)
    assert retry.status == JobStatus.PENDING
    assert retry.created_by == staff_user
    assert not ProcessingJob.objects.filter(retry_of=running).exists()
    messages = _messages(response)
    assert "Created retries of 1 job(s)." in messages
    assert any(m.startswith("Refused 1 job(s)") for m in messages)


def test_requeue_action_republishes_under_a_new_task_id(admin_browser):
    queued = ProcessingJobFactory()
    old_task_id = queued.celery_task_id

    response = _act(admin_browser, "requeue_jobs", [queued])

    queued.refresh_from_db()
    assert queued.status == JobStatus.PENDING
    assert queued.celery_task_id != old_task_id
    assert "from the admin" in queued.progress_message
    assert "Requeued 1 job(s)." in _messages(response)


def test_workers_page_shows_each_worker_alive_or_dead_by_heartbeat(admin_browser, settings):
    from datetime import timedelta

    from django.utils import timezone

    from jobs.models import WorkerHeartbeat

    settings.JOBS_WORKER_DEAD_AFTER_SECONDS = 90
    now = timezone.now()
    WorkerHeartbeat.objects.create(hostname="fresh@host", last_seen_at=now, queues=["default"])
    WorkerHeartbeat.objects.create(hostname="gone@host", last_seen_at=now - timedelta(hours=1))

    response = admin_browser.get(reverse("admin:jobs_workerheartbeat_changelist"))

    page = response.content.decode()
    assert response.status_code == 200
    fresh_row = page[page.index("fresh@host") :].split("</tr>")[0]
    gone_row = page[page.index("gone@host") :].split("</tr>")[0]
    assert "alive" in fresh_row and "default" in fresh_row
    assert "dead" in gone_row
