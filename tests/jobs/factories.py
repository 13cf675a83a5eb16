"""Factories for job rows in any state (rows only: nothing is published)."""

import uuid
from datetime import timedelta

import factory
from django.utils import timezone

from jobs.models import JobStatus, ProcessingJob
from tests.factories import UserFactory


class ProcessingJobFactory(factory.django.DjangoModelFactory):
    """A queued `sleep` job; use the traits for other states."""

    class Meta:
        model = ProcessingJob

    job_type = "sleep"
    status = JobStatus.QUEUED
    queue = "default"
    params = factory.LazyFunction(lambda: {"seconds": 1.0, "fail": False})
    celery_task_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    created_by = factory.SubFactory(UserFactory)
    queued_at = factory.LazyFunction(timezone.now)

    class Params:
        running = factory.Trait(
            status=JobStatus.RUNNING,
            attempts=1,
            started_at=factory.LazyFunction(timezone.now),
            heartbeat_at=factory.LazyFunction(timezone.now),
        )
        completed = factory.Trait(
            status=JobStatus.COMPLETED,
            attempts=1,
            progress=100,
            result={"slept_seconds": 1.0},
            started_at=factory.LazyFunction(lambda: timezone.now() - timedelta(seconds=3)),
            completed_at=factory.LazyFunction(timezone.now),
        )
        failed = factory.Trait(
            status=JobStatus.FAILED,
            attempts=1,
            error="Failed on purpose after sleeping 1 s (fail=true).",
            traceback='Traceback (most recent call last):\n  File "jobs/x.py"\nValueError: boom',
            started_at=factory.LazyFunction(lambda: timezone.now() - timedelta(seconds=2)),
            completed_at=factory.LazyFunction(timezone.now),
        )
