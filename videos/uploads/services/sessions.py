"""The steps tus and S3 multipart uploads share: finishing one into a video, failing one."""

from django.utils import timezone

from videos.models import Video
from videos.services import video_upload_fail, video_upload_finish
from videos.services.uploads import StoredOriginal
from videos.uploads.models import UploadSession, UploadStatus


def session_finish(locked: UploadSession, original: StoredOriginal) -> Video:
    """Point the session's video at its stored original and mark the session completed.

    Call inside a transaction, with the session's row locked (`select_for_update`).
    """
    video = video_upload_finish(video_id=locked.video_id, original=original)
    locked.status = UploadStatus.COMPLETED
    locked.job_id = video.current_job_id
    locked.completed_at = timezone.now()
    locked.save(update_fields=["status", "job", "completed_at", "updated_at"])
    return video


def session_fail(upload: UploadSession, error: str) -> None:
    """Mark an uploading session (and its video) failed with a reason.

    Removing what the session stored is left to the caller: it depends on where it went.
    """
    type(upload).objects.filter(pk=upload.pk, status=UploadStatus.UPLOADING).update(
        status=UploadStatus.FAILED, error=error, updated_at=timezone.now()
    )
    video_upload_fail(video_id=upload.video_id, reason=error)
