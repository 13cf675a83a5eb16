"""Polling helpers for tests that wait on a real worker."""

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    predicate: Callable[[], T],
    *,
    timeout: float = 30,
    interval: float = 0.1,
    message: str = "condition",
) -> T:
    """Return the first truthy value of `predicate()`, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout} s waiting for {message}.")
        time.sleep(interval)


def wait_for_jobs_to_settle(timeout: float = 15) -> None:
    """Give the test worker up to `timeout` s to finish the jobs a test set off.

    Called before a worker test's database is flushed: a job still running (an
    announcement, an email the test did not wait for) would take locks the flush needs.
    Jobs on other queues (private test queues) and pending jobs (never published) are
    not waited for.
    """
    from config.celery import QUEUE_NAMES
    from jobs.models import JobStatus, ProcessingJob

    busy = ProcessingJob.objects.filter(
        status__in=[JobStatus.QUEUED, JobStatus.RUNNING], queue__in=QUEUE_NAMES
    )
    deadline = time.monotonic() + timeout
    while busy.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
