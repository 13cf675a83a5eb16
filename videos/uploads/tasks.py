"""Periodic job tasks of uploads: remove expired tus uploads, abort stale S3 multipart ones."""

from typing import Any

from jobs.base_task import job_task
from jobs.progress import JobRun
from videos.storage import StorageUnavailable
from videos.uploads.services import multipart_uploads_abort_stale, tus_uploads_expire


@job_task(
    job_type="tus_uploads_expire",
    name="videos.cleanup.expire_tus_uploads",
    queue="low_priority",
    max_attempts=1,
    description="Delete tus uploads past their expiry, with their partial data.",
)
def expire_tus_uploads(run: JobRun) -> dict[str, Any]:
    """Remove expired tus uploads."""
    return tus_uploads_expire()


@job_task(
    job_type="multipart_uploads_abort_stale",
    name="videos.cleanup.abort_stale_multipart_uploads",
    queue="low_priority",
    max_attempts=3,
    retry_for=(StorageUnavailable,),
    description="Abort S3 multipart uploads past their expiry and free their parts.",
)
def abort_stale_multipart_uploads(run: JobRun) -> dict[str, Any]:
    """Abort stale S3 multipart uploads."""
    return multipart_uploads_abort_stale()
