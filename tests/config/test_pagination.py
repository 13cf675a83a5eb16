"""Large lists: exact counts up to a limit, the planner's estimate above it (PostgreSQL)."""

import pytest
from django.db import connection

from config.pagination import EstimatedCountPaginator
from tests.jobs.factories import ProcessingJobFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def twelve_jobs(staff_user):
    ProcessingJobFactory.create_batch(12, created_by=staff_user)


def test_a_list_below_the_limit_has_its_exact_count(staff_client, twelve_jobs):
    body = staff_client.get("/api/v1/jobs/?page_size=5").json()

    assert body["count"] == 12
    assert body["count_is_estimate"] is False
    assert len(body["results"]) == 5


def test_above_the_limit_the_count_is_the_databases_estimate(
    staff_client, twelve_jobs, monkeypatch
):
    monkeypatch.setattr(EstimatedCountPaginator, "exact_count_limit", 10)

    body = staff_client.get("/api/v1/jobs/?page_size=5").json()

    assert len(body["results"]) == 5
    assert body["next"]
    if connection.vendor == "postgresql":
        assert body["count_is_estimate"] is True
        assert body["count"] >= 11  # never fewer than the rows it has seen
    else:  # no planner estimate to ask: SQLite counts exactly
        assert body["count_is_estimate"] is False
        assert body["count"] == 12
