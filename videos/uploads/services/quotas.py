"""How many uploads one account may have open at once (tus and S3 multipart together)."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from config.quotas import is_limited, quota_check, quota_lock
from videos.uploads.models import MultipartUpload, TusUpload, UploadStatus


def upload_sessions_quota_check(*, owner: AbstractBaseUser, lock: bool = True) -> None:
    """Refuse (429) a new upload from an owner with UPLOADS_MAX_OPEN_PER_USER open ones.

    Call inside the transaction that creates the session (`lock` serialises the owner's
    requests; without it two requests at once may both take the last slot).
    """
    if not is_limited(owner):
        return
    if lock:
        quota_lock(owner)
    open_now = {"owner": owner, "status": UploadStatus.UPLOADING, "expires_at__gt": timezone.now()}
    used = TusUpload.objects.filter(**open_now).count()
    used += MultipartUpload.objects.filter(**open_now).count()
    quota_check(
        used=used,
        limit=settings.UPLOADS_MAX_OPEN_PER_USER,
        what="uploads in progress",
        advice="Finish or cancel (DELETE / abort) one of them first.",
    )
