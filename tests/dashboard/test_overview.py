"""The dashboard pages and the overview JSON: who may see them and what they report."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from jobs.dashboard.overview import throughput_per_minute
from jobs.models import JobStatus
from tests.dashboard.factories import finished_job
from tests.factories import UserFactory
from tests.jobs.factories import ProcessingJobFactory

pytestmark = pytest.mark.django_db

OVERVIEW_API = "/dashboard/api/overview/"
PAGES = ["/dashboard/", "/dashboard/jobs/", "/dashboard/videos/"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_send_anonymous_visitors_to_the_login_page(path):
    response = Client().get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/dashboard/login/?next=")


@pytest.mark.parametrize("path", PAGES)
def test_pages_refuse_users_who_are_not_staff(path, user):
    client = Client()
    client.force_login(user)

    response = client.get(path)

    assert response.status_code == 302
    assert "/dashboard/login/" in response["Location"]


@pytest.mark.parametrize("path", PAGES)
def test_pages_render_for_staff_with_their_scripts(path, admin_client):
    response = admin_client.get(path)

    assert response.status_code == 200
    html = response.content.decode()
    assert "dashboard/api.js" in html
    assert 'data-api-root="/api/v1/"' in html
    assert "csrftoken" in response.cookies  # the scripts send it back on POSTs


def test_login_page_logs_staff_in_and_redirects_to_next(staff_user):
    client = Client()

    response = client.post(
        "/dashboard/login/",
        {"username": staff_user.username, "password": "pass-word-123", "next": "/dashboard/jobs/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/jobs/"
    assert client.get("/dashboard/jobs/").status_code == 200


def test_login_page_refuses_accounts_that_are_not_staff(user):
    response = Client().post(
        "/dashboard/login/", {"username": user.username, "password": "pass-word-123"}
    )

    assert response.status_code == 200
    assert "staff account" in response.content.decode()


def test_logging_out_ends_the_session(admin_client):
    response = admin_client.post("/dashboard/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/dashboard/login/"
    assert admin_client.get("/dashboard/").status_code == 302


def test_flower_link_is_shown_only_when_configured(admin_client, settings):
    assert "Flower" not in admin_client.get("/dashboard/").content.decode()

    settings.FLOWER_URL = "https://flower.example.com/"

    html = admin_client.get("/dashboard/").content.decode()
    assert 'href="https://flower.example.com/"' in html
    assert admin_client.get(OVERVIEW_API).json()["flower_url"] == "https://flower.example.com/"


def test_overview_api_answers_401_to_anonymous_and_403_to_non_staff(user):
    anonymous = Client().get(OVERVIEW_API)
    client = Client()
    client.force_login(user)
    not_staff = client.get(OVERVIEW_API)

    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "not_authenticated"
    assert not_staff.status_code == 403
    assert not_staff.json()["detail"] == "Only staff can read the overview."


def test_overview_counts_finished_jobs_per_minute_over_the_last_hour(admin_client):
    # given jobs finished now, 5 minutes ago, and two hours ago (out of the window)
    finished_job(status=JobStatus.COMPLETED, seconds=2)
    finished_job(status=JobStatus.COMPLETED, seconds=2)
    finished_job(status=JobStatus.FAILED, seconds=1)
    finished_job(status=JobStatus.FAILED, seconds=1, ago=timedelta(minutes=5))
    finished_job(status=JobStatus.COMPLETED, seconds=1, ago=timedelta(hours=2))

    # when
    throughput = admin_client.get(OVERVIEW_API).json()["throughput"]

    # then there is one bucket per minute, oldest first, ending with the current minute
    assert len(throughput) == 60
    assert [b["minute"] for b in throughput] == sorted(b["minute"] for b in throughput)
    assert throughput[-1] == {
        "minute": throughput[-1]["minute"],
        "completed": 2,
        "failed": 1,
    }
    assert throughput[-6]["failed"] == 1
    assert sum(b["completed"] for b in throughput) == 2
    assert sum(b["failed"] for b in throughput) == 2


def test_throughput_is_one_grouped_query(django_assert_num_queries):
    for minutes in range(5):
        finished_job(status=JobStatus.COMPLETED, seconds=1, ago=timedelta(minutes=minutes))

    with django_assert_num_queries(1):
        buckets = throughput_per_minute(now=timezone.now())

    assert sum(b["completed"] for b in buckets) == 5


def test_overview_reports_the_oldest_waiting_job_and_status_counts(admin_client):
    ProcessingJobFactory(status=JobStatus.QUEUED)
    oldest = ProcessingJobFactory(
        status=JobStatus.PENDING, created_at=timezone.now() - timedelta(minutes=10)
    )
    ProcessingJobFactory(running=True)

    data = admin_client.get(OVERVIEW_API).json()

    assert data["oldest_waiting_job"]["id"] == str(oldest.id)
    assert data["oldest_waiting_job"]["status"] == "pending"
    assert data["oldest_waiting_job"]["age_seconds"] >= 600
    assert data["status_counts"] == {
        "pending": 1,
        "queued": 1,
        "running": 1,
        "completed": 0,
        "failed": 0,
        "cancelled": 0,
    }


def test_overview_reports_every_queue_depth_and_the_workers_seen(admin_client):
    data = admin_client.get(OVERVIEW_API).json()

    assert set(data["queue_depths"]) == {
        "high_priority",
        "default",
        "user_jobs",
        "low_priority",
        "video_processing",
        "maintenance",
    }
    assert isinstance(data["workers"], list)


def test_overview_lists_periodic_tasks_with_last_run_and_admin_link(admin_client):
    every_hour, _ = IntervalSchedule.objects.get_or_create(
        every=3600, period=IntervalSchedule.SECONDS
    )
    last_run = timezone.now() - timedelta(minutes=3)
    task = PeriodicTask.objects.create(
        name="jobs: tidy up",
        task="jobs.maintenance.cleanup_old_jobs",
        interval=every_hour,
        enabled=False,
    )
    # save() clears last_run_at on disabled tasks; an operator disables after runs.
    PeriodicTask.objects.filter(pk=task.pk).update(last_run_at=last_run)

    tasks = admin_client.get(OVERVIEW_API).json()["periodic_tasks"]

    listed = next(t for t in tasks if t["name"] == "jobs: tidy up")
    assert listed["enabled"] is False
    assert listed["schedule"] == "every hour"
    assert listed["last_run_at"] == last_run.isoformat()
    assert listed["admin_url"] == f"/admin/django_celery_beat/periodictask/{task.pk}/change/"
    assert admin_client.get(listed["admin_url"]).status_code == 200


def test_overview_api_refuses_inactive_staff():
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_active=False))

    assert client.get(OVERVIEW_API).status_code in (401, 403)
