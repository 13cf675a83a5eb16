"""The steps tus and S3 multipart uploads share: checking a new one, finishing one into a
video, failing one."""

from django.utils import timezone

from videos.models import Video
from videos.services import video_upload_fail, video_upload_finish
from videos.services.uploads import StoredOriginal
from videos.uploads.models import UploadSession, UploadStatus
from videos.validation import check_extension, check_size, check_title, clean_filename


def session_check(*, filename: str, size: int, title: str) -> tuple[str, str, str]:
    """Check what a new upload declares: its file name, size and title.

    Returns the clean file name, its lower-cased extension and the stripped title;
    raises UploadRejected for a name, size or title that can't be accepted.
    """
    filename = clean_filename(filename)
    extension = check_extension(filename)
    check_size(size)
    return filename, extension, check_title(title)


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
