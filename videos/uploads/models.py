"""Upload sessions: a tus upload being assembled on local disk, an S3 multipart upload.

A session lives until `expires_at`; the cleanup tasks remove unfinished ones (and their
partial data) after that, and finished ones too — by then the video is what matters.
"""

import uuid

from django.conf import settings
from django.db import models

from videos.models import DESCRIPTION_MAX_LENGTH


class UploadStatus(models.TextChoices):
    UPLOADING = "uploading", "Uploading"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    ABORTED = "aborted", "Aborted"


class UploadSession(models.Model):
    """What both kinds of upload share: who, what for, how far, and what it became."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    filename = models.CharField(max_length=255, help_text="The client's name; metadata only.")
    title = models.CharField(max_length=255)
    description = models.TextField(max_length=DESCRIPTION_MAX_LENGTH, blank=True, default="")
    status = models.CharField(
        max_length=16, choices=UploadStatus.choices, default=UploadStatus.UPLOADING
    )
    error = models.TextField(blank=True, default="")
    job = models.ForeignKey(
        "jobs.ProcessingJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The processing job started when the upload completed.",
    )
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_finished(self) -> bool:
        return self.status != UploadStatus.UPLOADING


class TusUpload(UploadSession):
    """A tus upload: bytes appended to `{TUS_UPLOAD_DIR}/{id}.part`, or to S3 parts."""

    length = models.PositiveBigIntegerField(help_text="Upload-Length: the whole file, in bytes.")
    offset = models.PositiveBigIntegerField(default=0, help_text="Bytes received so far.")
    metadata = models.TextField(
        blank=True, default="", help_text="Upload-Metadata as the client sent it."
    )
    video = models.ForeignKey(
        "videos.Video", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # On S3 storage the bytes go to an S3 multipart upload instead of a local file, and
    # everything a web host needs to continue it is here (see videos/uploads/services/tus_s3.py).
    s3_key = models.CharField(
        max_length=512, blank=True, default="", help_text="S3: the original's storage name."
    )
    s3_upload_id = models.CharField(
        max_length=1024, blank=True, default="", help_text="S3: the multipart upload's id."
    )
    s3_parts = models.JSONField(
        default=list, blank=True, help_text="S3: parts sent, [{part_number, etag, size}]."
    )
    s3_pending = models.PositiveIntegerField(
        default=0, help_text="S3: bytes held back (under a part's size) in the pending object."
    )
    writer = models.UUIDField(
        null=True, blank=True, help_text="S3: the request writing to the upload right now."
    )
    writer_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="S3: when the writer's claim lapses if not renewed."
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "created_at"], name="tus_owner_created_idx")]

    def __str__(self) -> str:
        return f"tus {self.pk} ({self.status}, {self.offset}/{self.length})"

    @property
    def on_s3(self) -> bool:
        return bool(self.s3_upload_id)


class MultipartUpload(UploadSession):
    """An S3 multipart upload into a staging key; completing it makes video `video_id`."""

    size = models.PositiveBigIntegerField(help_text="The whole file, in bytes.")
    part_size = models.PositiveBigIntegerField()
    key = models.CharField(max_length=512, help_text="The staging key in the bucket.")
    s3_upload_id = models.CharField(max_length=1024)
    video_id = models.UUIDField(
        default=uuid.uuid4, unique=True, help_text="The id the video will have once completed."
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "created_at"], name="multipart_owner_created_idx")]

    def __str__(self) -> str:
        return f"multipart {self.pk} ({self.status}, {self.size} bytes)"

    @property
    def part_count(self) -> int:
        return max(1, -(-self.size // self.part_size))
