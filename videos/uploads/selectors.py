"""Reads of upload sessions."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from videos.uploads import partials
from videos.uploads.models import MultipartUpload, TusUpload, UploadStatus


def tus_upload_list(*, user: AbstractBaseUser) -> QuerySet[TusUpload]:
    """Return the tus uploads `user` may see: their own, or all for staff."""
    queryset = TusUpload.objects.all()
    return queryset if user.is_staff else queryset.filter(owner=user)


def multipart_upload_list(*, user: AbstractBaseUser) -> QuerySet[MultipartUpload]:
    """Return the multipart uploads `user` may see: their own, or all for staff."""
    queryset = MultipartUpload.objects.all()
    return queryset if user.is_staff else queryset.filter(owner=user)


def tus_upload_offset(upload: TusUpload) -> int:
    """Return the bytes received: the local partial file's size while uploading, else the
    row's (on S3 the row is the truth: parts plus pending bytes).

    The file can be ahead of the row when a request died between writing and recording;
    the next PATCH records it, and a client resuming must start from the file's end.
    """
    if upload.status == UploadStatus.UPLOADING and not upload.on_s3:
        size = partials.size(upload.pk)
        if size is not None:
            return size
    return upload.offset


def multipart_uploaded_parts(upload: MultipartUpload) -> list[dict]:
    """Return the parts S3 holds for an open upload ([] once it is finished)."""
    from videos.uploads import s3

    if upload.status != UploadStatus.UPLOADING:
        return []
    try:
        return s3.uploaded_parts(upload.key, upload.s3_upload_id)
    except s3.S3Refused as exc:
        if exc.code == "NoSuchUpload":
            return []
        raise
