"""Jobs submitted by users through the API: type checks, uploads, then job_create."""

import logging
import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from config.errors import InvalidRequest, NotAllowed
from config.quotas import is_limited, quota_check, quota_lock
from jobs import storage
from jobs.models import ACTIVE_STATUSES, ProcessingJob
from jobs.registry import JobType, UnknownJobType, get_job_type, submittable_job_types
from jobs.services.lifecycle import job_create

logger = logging.getLogger(__name__)


def _submittable(job_type: str, user: AbstractBaseUser | None) -> JobType:
    staff = bool(user is not None and user.is_staff)
    choices = ", ".join(jt.name for jt in submittable_job_types(staff=staff))
    try:
        spec = get_job_type(job_type)
    except UnknownJobType:
        raise InvalidRequest(
            errors={"job_type": [f"Unknown job type {job_type!r}; choose one of: {choices}."]}
        ) from None
    if not spec.user_submittable:
        raise InvalidRequest(
            errors={
                "job_type": [
                    f"Job type {job_type!r} cannot be submitted through the API; "
                    f"choose one of: {choices}."
                ]
            }
        )
    if spec.staff_only and not staff:
        raise NotAllowed(
            f"Only staff can submit {job_type!r} jobs: they act outside Reelhouse. "
            f"Choose one of: {choices}."
        )
    return spec


def user_jobs_quota_check(*, user: AbstractBaseUser | None) -> None:
    """Refuse (429) a new job from a user who has JOBS_MAX_ACTIVE_PER_USER jobs waiting or running.

    Call inside the transaction that creates the job.
    """
    if not is_limited(user):
        return
    quota_lock(user)
    types = [jt.name for jt in submittable_job_types(staff=True)]
    active = ProcessingJob.objects.filter(
        created_by=user, job_type__in=types, status__in=ACTIVE_STATUSES
    ).count()
    quota_check(
        used=active,
        limit=settings.JOBS_MAX_ACTIVE_PER_USER,
        what="jobs waiting or running",
        advice="Wait for some to finish, or cancel them, then submit again.",
    )


def _check_files(spec: JobType, params: dict[str, Any], files: list[UploadedFile]) -> None:
    if spec.accepts_files == "none" and files:
        raise InvalidRequest(errors={"files": [f"Job type {spec.name!r} takes no files."]})
    if spec.accepts_files == "one" and len(files) != 1:
        raise InvalidRequest(
            errors={"file": [f"Job type {spec.name!r} takes exactly one file; {len(files)} given."]}
        )
    if spec.accepts_files == "many" and not files:
        raise InvalidRequest(errors={"files": [f"Job type {spec.name!r} takes one or more files."]})
    if spec.accepts_files != "none" and "files" in params:
        raise InvalidRequest(
            errors={"params": {"files": ["Set from the uploaded files; upload them instead."]}}
        )
    for upload in files:
        # The request as a whole is capped at UPLOAD_MAX_BYTES (config/body_limits.py);
        # bigger inputs belong in the domain apps (videos use tus uploads).
        if upload.size is not None and upload.size > settings.UPLOAD_MAX_BYTES:
            raise InvalidRequest(
                errors={
                    "files": [
                        f"{storage.safe_filename(upload.name or '')} is {upload.size} bytes; "
                        f"the limit is {settings.UPLOAD_MAX_BYTES} bytes."
                    ]
                }
            )


def job_submit(
    *,
    job_type: str,
    params: dict[str, Any],
    files: list[UploadedFile],
    created_by: AbstractBaseUser | None,
) -> ProcessingJob:
    """Create a job a user asked for, storing its uploads under `jobs/inputs/{job_id}/`.

    The stored names go into `params["files"]`; the client's file name is only used,
    sanitised, as the last part of the name. Files are stored before the transaction that
    writes the row (no storage write inside a transaction); if the process dies in
    between, the orphan sweep (jobs.orphans) deletes the files later.
    """
    spec = _submittable(job_type, created_by)
    _check_files(spec, params, files)
    with transaction.atomic():
        user_jobs_quota_check(user=created_by)  # refuse before storing anything
    job_id = uuid.uuid4()
    stored: list[str] = []
    try:
        names = storage.input_names(job_id, [upload.name or "" for upload in files])
        for upload, name in zip(files, names, strict=True):
            stored.append(default_storage.save(name, upload))
        if spec.accepts_files != "none":
            params = {**params, "files": stored}
        with transaction.atomic():
            user_jobs_quota_check(user=created_by)  # again, under the quota lock
            job = job_create(
                job_type=spec.name, params=params, created_by=created_by, job_id=job_id
            )
    except BaseException:
        # Invalid params or a failed save: leave nothing behind for a job that never was.
        for name in stored:
            default_storage.delete(name)
        raise
    logger.info("job submitted job_id=%s type=%s files=%s", job.pk, job.job_type, len(stored))
    return job
