""" "My videos" and "My jobs": every signed-in user's own pages; operator pages stay staff-only."""

import pytest
from django.test import Client

from jobs.services import job_create
from tests.dashboard.conftest import STAFF_PASSWORD
from tests.videos.factories import VideoFactory

pytestmark = pytest.mark.django_db


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_anonymous_visitors_are_sent_to_the_user_login():
    response = Client().get("/my/videos/")

    assert response.status_code == 302
    assert response["Location"].startswith("/my/login/?next=/my/videos/")


def test_a_user_logs_in_and_lands_on_my_videos(user):
    client = Client()

    response = client.post("/my/login/", {"username": user.username, "password": STAFF_PASSWORD})

    assert response.status_code == 302 and response["Location"] == "/my/videos/"
    page = client.get("/my/videos/")
    assert page.status_code == 200
    assert b"<h1>My videos</h1>" in page.content
    assert b'data-mine="true"' in page.content


def test_a_user_gets_their_pages_but_not_the_operator_pages(user):
    client = _client_for(user)

    assert client.get("/my/videos/").status_code == 200
    assert client.get("/my/jobs/").status_code == 200
    for path in ("/dashboard/", "/dashboard/jobs/", "/dashboard/videos/"):
        response = client.get(path)
        assert response.status_code == 302 and "/dashboard/login/" in response["Location"]
    assert client.get("/dashboard/api/overview/").status_code == 403


def test_my_jobs_has_no_bulk_actions_or_queue_filter(user):
    content = _client_for(user).get("/my/jobs/").content.decode()

    assert '<div class="bulk" hidden>' in content
    assert 'id="filter-queue"' not in content
    assert "send_emails" not in content  # a staff-only job type


def test_mine_lists_only_the_requesters_objects_even_for_staff(staff_user, user):
    own_video, others_video = VideoFactory(owner=staff_user), VideoFactory(owner=user)
    own_job = job_create(job_type="sleep", params={"seconds": 0}, created_by=staff_user)
    job_create(job_type="sleep", params={"seconds": 0}, created_by=user)
    client = _client_for(staff_user)

    videos = client.get("/api/v1/videos/", {"mine": "true"}).json()["results"]
    everyone = client.get("/api/v1/videos/").json()["results"]
    jobs = client.get("/api/v1/jobs/", {"mine": "true"}).json()["results"]

    assert [v["id"] for v in videos] == [str(own_video.pk)]
    assert {v["id"] for v in everyone} == {str(own_video.pk), str(others_video.pk)}
    assert [j["id"] for j in jobs] == [str(own_job.pk)]
