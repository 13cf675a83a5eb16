"""Reads of videos and their jobs."""

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from jobs.models import ACTIVE_STATUSES, ProcessingJob
from videos.models import Video

ACTIVE_JOB_STATUSES = sorted(ACTIVE_STATUSES)


def video_list(*, user: AbstractBaseUser) -> QuerySet[Video]:
    """Return the videos `user` may see: their own, or all for staff."""
    queryset = Video.objects.select_related("owner", "current_job")
    if user.is_staff:
        return queryset
    return queryset.filter(owner=user)


def video_jobs(*, video: Video) -> QuerySet[ProcessingJob]:
    """Return the jobs whose target is the video, newest first."""
    return ProcessingJob.objects.filter(
        target_content_type=ContentType.objects.get_for_model(Video),
        target_object_id=str(video.pk),
    ).order_by("-created_at")


def video_active_job(*, video: Video, job_type: str = "video_process") -> ProcessingJob | None:
    """Return the video's pending, queued or running job of `job_type`, if any."""
    return video_jobs(video=video).filter(job_type=job_type, status__in=ACTIVE_JOB_STATUSES).first()
