"""JobRun: what a job function gets — its params, a progress reporter and cancellation."""

import logging
import time
from typing import Any

from django.conf import settings
from django.utils import timezone

from jobs.db import reconnecting
from jobs.errors import JobCancelled
from jobs.models import JobStatus, ProcessingJob

logger = logging.getLogger(__name__)


class JobRun:
    """The running job as its function sees it.

    `progress()` writes at most once per `JOBS_PROGRESS_INTERVAL_SECONDS` (plus the first and
    the 100% report), bumps the heartbeat the watchdog reads, and raises `JobCancelled` when
    an operator asked to cancel: each progress report is a cancellation checkpoint.
    """

    def __init__(self, job: ProcessingJob) -> None:
        self.job = job
        self._last_write = 0.0
        self._last_cancel_check = 0.0
        self._interval = settings.JOBS_PROGRESS_INTERVAL_SECONDS

    @property
    def job_id(self) -> str:
        return str(self.job.pk)

    @property
    def params(self) -> dict[str, Any]:
        return self.job.params

    def progress(self, percent: float, message: str = "", *, force: bool = False) -> None:
        """Record progress (0-100) and stop here if the job was cancelled."""
        percent = max(0, min(100, int(percent)))
        now = time.monotonic()
        if not force and percent < 100 and now - self._last_write < self._interval:
            return
        self._last_write = now
        self._last_cancel_check = now
        updated = reconnecting(
            ProcessingJob.objects.filter(
                pk=self.job.pk, status=JobStatus.RUNNING, cancel_requested_at__isnull=True
            ).update,
            progress=percent,
            progress_message=message[:255],
            heartbeat_at=timezone.now(),
        )
        self.job.progress, self.job.progress_message = percent, message[:255]
        if not updated:
            # Not running any more, or a cancel was requested: stop at this checkpoint.
            raise JobCancelled(f"Job {self.job_id} was cancelled.")

    def should_cancel(self) -> bool:
        """Return True when the job was cancelled (checked at most twice a second)."""
        now = time.monotonic()
        if now - self._last_cancel_check < 0.5:
            return False
        self._last_cancel_check = now
        return not reconnecting(
            ProcessingJob.objects.filter(
                pk=self.job.pk, status=JobStatus.RUNNING, cancel_requested_at__isnull=True
            ).exists
        )
