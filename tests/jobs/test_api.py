"""The jobs API: listing, inspecting, cancelling and retrying jobs; types and stats."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from jobs.models import JobStatus, ProcessingJob
from tests.jobs.factories import ProcessingJobFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/jobs/"


def _ids(response) -> set[str]:
    return {row["id"] for row in response.json()["results"]}


# --- Listing -----------------------------------------------------------------------------


def test_users_list_only_their_own_jobs(user_client, user, other_user):
    mine = ProcessingJobFactory(created_by=user)
    ProcessingJobFactory(created_by=other_user)

    response = user_client.get(URL)

    assert response.status_code == 200
    assert _ids(response) == {str(mine.pk)}


def test_staff_list_every_job(staff_client, user, other_user):
    jobs = [ProcessingJobFactory(created_by=user), ProcessingJobFactory(created_by=other_user)]

    response = staff_client.get(URL)

    assert _ids(response) == {str(job.pk) for job in jobs}


def test_anonymous_requests_are_refused(api_client):
    response = api_client.get(URL)

    assert response.status_code in (401, 403)


def test_list_filters_by_status_type_and_queue(user_client, user):
    failed = ProcessingJobFactory(created_by=user, failed=True)
    completed = ProcessingJobFactory(created_by=user, completed=True)
    ProcessingJobFactory(created_by=user, running=True)
    other_type = ProcessingJobFactory(created_by=user, job_type="csv_stats", queue="low_priority")

    by_status = user_client.get(URL, {"status": ["failed", "completed"]})
    by_type = user_client.get(URL, {"job_type": "csv_stats"})
    by_queue = user_client.get(URL, {"queue": "low_priority"})

    assert _ids(by_status) == {str(failed.pk), str(completed.pk)}
    assert _ids(by_type) == {str(other_type.pk)}
    assert _ids(by_queue) == {str(other_type.pk)}


def test_list_filters_by_creation_range(user_client, user):
    now = timezone.now()
    old = ProcessingJobFactory(created_by=user, created_at=now - timedelta(days=3))
    recent = ProcessingJobFactory(created_by=user, created_at=now - timedelta(hours=1))

    after = user_client.get(URL, {"created_after": (now - timedelta(days=1)).isoformat()})
    before = user_client.get(URL, {"created_before": (now - timedelta(days=1)).isoformat()})

    assert _ids(after) == {str(recent.pk)}
    assert _ids(before) == {str(old.pk)}


def test_list_rejects_a_malformed_date_with_a_field_error(user_client):
    response = user_client.get(URL, {"created_after": "yesterday"})

    assert response.status_code == 400
    assert "created_after" in response.json()["errors"]


def test_list_filters_by_target(user_client, user, other_user):
    on_target = ProcessingJobFactory(
        created_by=user, target_content_type=_user_type(), target_object_id=str(other_user.pk)
    )
    ProcessingJobFactory(created_by=user)

    response = user_client.get(URL, {"target_type": "auth.user", "target_id": other_user.pk})

    assert _ids(response) == {str(on_target.pk)}


def test_search_matches_type_id_and_error(user_client, user):
    failed = ProcessingJobFactory(created_by=user, failed=True, error="Line 17: expected 4")
    csv_job = ProcessingJobFactory(created_by=user, job_type="csv_stats")
    ProcessingJobFactory(created_by=user)

    by_error = user_client.get(URL, {"search": "line 17"})
    by_type = user_client.get(URL, {"search": "csv_st"})
    by_id = user_client.get(URL, {"search": str(csv_job.pk)[:13]})

    assert _ids(by_error) == {str(failed.pk)}
    assert _ids(by_type) == {str(csv_job.pk)}
    assert _ids(by_id) == {str(csv_job.pk)}


def test_list_is_ordered_newest_first_and_accepts_other_orderings(user_client, user):
    now = timezone.now()
    first = ProcessingJobFactory(created_by=user, progress=80, created_at=now - timedelta(hours=2))
    second = ProcessingJobFactory(created_by=user, progress=10, created_at=now - timedelta(hours=1))

    default = user_client.get(URL).json()["results"]
    by_progress = user_client.get(URL, {"ordering": "progress"}).json()["results"]

    assert [row["id"] for row in default] == [str(second.pk), str(first.pk)]
    assert [row["id"] for row in by_progress] == [str(second.pk), str(first.pk)]
    assert user_client.get(URL, {"ordering": "-progress"}).json()["results"][0]["id"] == str(
        first.pk
    )


def test_list_is_paginated_with_a_page_size_parameter(user_client, user):
    ProcessingJobFactory.create_batch(5, created_by=user)

    page_one = user_client.get(URL, {"page_size": 2}).json()
    page_three = user_client.get(URL, {"page_size": 2, "page": 3}).json()

    assert page_one["count"] == 5
    assert len(page_one["results"]) == 2
    assert page_one["next"]
    assert len(page_three["results"]) == 1
    assert page_three["next"] is None


# --- Detail and status -------------------------------------------------------------------


def test_detail_has_every_field_target_and_duration(user_client, user, other_user):
    job = ProcessingJobFactory(
        created_by=user,
        completed=True,
        target_content_type=_user_type(),
        target_object_id=str(other_user.pk),
    )

    body = user_client.get(f"{URL}{job.pk}/").json()

    assert body["id"] == str(job.pk)
    assert body["status"] == "completed"
    assert body["result"] == {"slept_seconds": 1.0}
    assert body["params"] == {"seconds": 1.0, "fail": False}
    assert body["target"] == {"type": "auth.user", "id": str(other_user.pk)}
    assert body["duration_seconds"] == pytest.approx(3, abs=1)
    for field in ("attempts", "max_attempts", "queue", "celery_task_id", "created_at", "error"):
        assert field in body


def test_detail_without_trailing_slash_works(user_client, user):
    job = ProcessingJobFactory(created_by=user)

    assert user_client.get(f"{URL}{job.pk}").status_code == 200


def test_traceback_is_shown_to_staff_only(user_client, staff_client, user):
    job = ProcessingJobFactory(created_by=user, failed=True)

    as_owner = user_client.get(f"{URL}{job.pk}/").json()
    as_staff = staff_client.get(f"{URL}{job.pk}/").json()

    assert as_owner["error"] == job.error
    assert as_owner["traceback"] == ""
    assert "ValueError: boom" in as_staff["traceback"]


def test_other_users_jobs_are_not_found(user_client, other_user):
    theirs = ProcessingJobFactory(created_by=other_user, failed=True)

    responses = [
        user_client.get(f"{URL}{theirs.pk}/"),
        user_client.get(f"{URL}{theirs.pk}/status/"),
        user_client.post(f"{URL}{theirs.pk}/cancel/"),
        user_client.delete(f"{URL}{theirs.pk}/"),
        user_client.post(f"{URL}{theirs.pk}/retry/"),
    ]

    assert [r.status_code for r in responses] == [404] * 5
    assert ProcessingJob.objects.filter(retry_of=theirs).count() == 0


def test_status_endpoint_is_compact(user_client, user):
    job = ProcessingJobFactory(created_by=user, running=True, progress=40, progress_message="Hi")

    body = user_client.get(f"{URL}{job.pk}/status/").json()

    assert body["status"] == "running"
    assert body["progress"] == 40
    assert body["message"] == "Hi"
    assert body["attempts"] == 1
    assert body["error"] == ""
    assert body["duration_seconds"] is not None
    assert "params" not in body


# --- Cancel and retry --------------------------------------------------------------------


@pytest.mark.parametrize("method", ["post_cancel", "delete"])
def test_cancel_a_queued_job_by_post_or_delete(user_client, user, method):
    job = ProcessingJobFactory(created_by=user)

    if method == "delete":
        response = user_client.delete(f"{URL}{job.pk}/")
    else:
        response = user_client.post(f"{URL}{job.pk}/cancel/")

    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED


def test_cancel_a_running_job_asks_it_to_stop(user_client, user):
    job = ProcessingJobFactory(created_by=user, running=True)

    response = user_client.post(f"{URL}{job.pk}/cancel/", {}, format="json")

    assert response.status_code == 202
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING
    assert job.cancel_requested_at is not None


def test_cancel_a_finished_job_is_a_conflict(user_client, user):
    job = ProcessingJobFactory(created_by=user, completed=True)

    response = user_client.delete(f"{URL}{job.pk}/")

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "already completed" in response.json()["detail"]


def test_force_cancel_is_for_staff_only(user_client, staff_client, user):
    job = ProcessingJobFactory(created_by=user, running=True)

    as_owner = user_client.post(f"{URL}{job.pk}/cancel/", {"force": True}, format="json")
    as_staff = staff_client.post(f"{URL}{job.pk}/cancel/", {"force": True}, format="json")

    assert as_owner.status_code == 403
    assert as_staff.status_code == 200
    assert as_staff.json()["status"] == "cancelled"


def test_retry_creates_a_new_job_pointing_back(user_client, user):
    job = ProcessingJobFactory(created_by=user, failed=True, params={"seconds": 0, "fail": True})

    response = user_client.post(f"{URL}{job.pk}/retry/")

    assert response.status_code == 201
    body = response.json()
    assert body["retry_of"] == str(job.pk)
    assert body["id"] != str(job.pk)
    assert body["status"] == "pending"
    assert body["params"]["fail"] is True


def test_retry_of_a_completed_job_is_a_conflict(user_client, user):
    job = ProcessingJobFactory(created_by=user, completed=True)

    response = user_client.post(f"{URL}{job.pk}/retry/")

    assert response.status_code == 409
    assert "Only failed or cancelled jobs" in response.json()["detail"]


def test_users_cannot_retry_jobs_of_other_apps_workflows(user_client, staff_client, user):
    job = ProcessingJobFactory(created_by=user, failed=True, job_type="noop", params={})

    as_owner = user_client.post(f"{URL}{job.pk}/retry/")
    as_staff = staff_client.post(f"{URL}{job.pk}/retry/")

    assert as_owner.status_code == 403
    assert as_staff.status_code == 201


# --- Types and statistics ----------------------------------------------------------------


def test_types_lists_submittable_types_with_their_fields(staff_client):
    body = staff_client.get(f"{URL}types/").json()

    by_name = {row["name"]: row for row in body}
    assert {"sleep", "csv_stats", "send_emails", "resize_images"} <= set(by_name)
    assert "noop" not in by_name
    assert "cleanup_old_jobs" not in by_name
    seconds = next(f for f in by_name["sleep"]["fields"] if f["name"] == "seconds")
    assert seconds == {
        "name": "seconds",
        "type": "number",
        "required": False,
        "default": 5,
        "min": 0,
        "max": 3600,
        "help_text": "",
    }
    csv_type = by_name["csv_stats"]
    assert csv_type["accepts_files"] == "one"
    assert [f["name"] for f in csv_type["fields"]] == ["delimiter"]
    assert csv_type["fields"][0]["type"] == "choice"
    assert "semicolon" in csv_type["fields"][0]["choices"]
    sizes = next(f for f in by_name["resize_images"]["fields"] if f["name"] == "sizes")
    assert sizes["type"] == "array"
    assert sizes["items"]["type"] == "string"


def test_stats_for_a_user_count_only_their_jobs(user_client, user, other_user):
    ProcessingJobFactory(created_by=user, failed=True)
    ProcessingJobFactory.create_batch(3, created_by=other_user, completed=True)

    body = user_client.get(f"{URL}stats/").json()

    assert body["scope"] == "own"
    assert body["total"] == 1
    assert body["by_status"]["failed"] == 1
    assert body["by_status"]["completed"] == 0
    assert body["broker_queue_depths"] is None


def test_stats_for_staff_are_global_with_broker_depths(staff_client, user, other_user):
    ProcessingJobFactory(created_by=user, failed=True)
    ProcessingJobFactory.create_batch(3, created_by=other_user, completed=True)

    body = staff_client.get(f"{URL}stats/").json()

    assert body["scope"] == "all"
    assert body["total"] == 4
    assert body["by_type"]["sleep"]["completed"] == 3
    assert body["completed_last_hour"] == 3
    assert set(body["broker_queue_depths"]) >= {"default", "high_priority", "video_processing"}


def _user_type() -> ContentType:
    return ContentType.objects.get_for_model(get_user_model())
