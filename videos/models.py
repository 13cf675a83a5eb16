"""Video: an uploaded original, its metadata and the renditions the pipeline made from it.

Files live in the default storage under keys derived from the video id (see
`videos.storage`), never from the client's filename:

    originals/{id}{ext}             the upload, as received
    processed/{id}/video.mp4        H.264/AAC MP4 at the source size
    processed/{id}/proxy.mp4        <= 480p, 10 fps preview
    processed/{id}/thumbnail.jpg    one frame (1 s in, or at `thumbnail_at`)
    processed/{id}/thumbnail-*.jpg  a frame chosen later through the API
    processed/{id}/hls-{run}/       the HLS ladder: master.m3u8, {height}/ and audio/ folders
                                    of CMAF segments (a new folder per processing run)
    processed/{id}/storyboard-{run}/  sprite.jpg and storyboard.vtt (scrubbing previews)

The video's processing runs as ProcessingJobs whose target is the video; `current_job`
points at the latest one.
"""

import uuid

from django.conf import settings
from django.db import models


class VideoStatus(models.TextChoices):
    UPLOADING = "uploading", "Uploading"
    PROCESSING = "processing", "Processing"
    READY = "ready", "Ready"
    ERROR = "error", "Error"


# Descriptions people type (videos, upload sessions): long enough for notes, bounded.
DESCRIPTION_MAX_LENGTH = 5000


class Video(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="videos"
    )
    title = models.CharField(max_length=255)
    description = models.TextField(max_length=DESCRIPTION_MAX_LENGTH, blank=True, default="")
    status = models.CharField(
        max_length=16, choices=VideoStatus.choices, default=VideoStatus.UPLOADING
    )
    error_reason = models.TextField(blank=True, default="")

    original_key = models.CharField(max_length=255, blank=True, default="")
    original_filename = models.CharField(
        max_length=255, blank=True, default="", help_text="The client's name; metadata only."
    )
    original_size = models.PositiveBigIntegerField(default=0, help_text="Bytes.")
    bytes_received = models.PositiveBigIntegerField(
        default=0, help_text="Bytes of the original received so far (resumable uploads)."
    )
    container = models.CharField(max_length=8, blank=True, default="")

    duration = models.FloatField(null=True, blank=True, help_text="Seconds.")
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    rotation = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Clockwise display rotation in degrees."
    )
    fps = models.FloatField(null=True, blank=True)
    video_codec = models.CharField(max_length=32, blank=True, default="")
    audio_codec = models.CharField(max_length=32, blank=True, default="")
    bitrate = models.PositiveBigIntegerField(null=True, blank=True, help_text="Bits per second.")
    has_audio = models.BooleanField(null=True, blank=True)

    mp4_key = models.CharField(max_length=255, blank=True, default="")
    proxy_key = models.CharField(max_length=255, blank=True, default="")
    thumbnail_key = models.CharField(max_length=255, blank=True, default="")
    hls_key = models.CharField(
        max_length=255, blank=True, default="", help_text="The HLS master playlist."
    )
    storyboard_key = models.CharField(
        max_length=255, blank=True, default="", help_text="The storyboard's WebVTT track."
    )
    thumbnail_at = models.FloatField(
        null=True, blank=True, help_text="Seconds in of the chosen thumbnail (empty: 1 s in)."
    )
    processed_at = models.DateTimeField(null=True, blank=True)

    current_job = models.ForeignKey(
        "jobs.ProcessingJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The latest processing job of this video.",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner", "created_at"], name="video_owner_created_idx"),
            models.Index(fields=["status", "created_at"], name="video_status_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.status})"

    @property
    def is_ready(self) -> bool:
        return self.status == VideoStatus.READY

    @property
    def display_width(self) -> int | None:
        """Width as shown, after the display rotation."""
        return self.height if self.rotation in (90, 270) else self.width

    @property
    def display_height(self) -> int | None:
        """Height as shown, after the display rotation."""
        return self.width if self.rotation in (90, 270) else self.height

    def rendition_key(self, rendition: str) -> str:
        """Return the storage key of a rendition ('' if none).

        Renditions: `original`, `mp4`, `proxy`, `thumbnail`, `hls` (the master playlist)
        and `storyboard` (the WebVTT track).
        """
        return {
            "original": self.original_key,
            "mp4": self.mp4_key,
            "proxy": self.proxy_key,
            "thumbnail": self.thumbnail_key,
            "hls": self.hls_key,
            "storyboard": self.storyboard_key,
        }[rendition]


from videos.uploads.models import MultipartUpload, TusUpload  # noqa: E402,F401
