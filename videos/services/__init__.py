"""Every write to videos goes through these functions."""

from videos.services.editing import video_delete, video_update
from videos.services.processing import (
    video_process,
    video_processing_cancelled,
    video_processing_failed,
    video_reprocess,
)
from videos.services.thumbnails import video_thumbnail_make, video_thumbnail_request
from videos.services.uploads import video_create, video_create_from_storage

__all__ = [
    "video_create",
    "video_create_from_storage",
    "video_delete",
    "video_process",
    "video_processing_cancelled",
    "video_processing_failed",
    "video_reprocess",
    "video_thumbnail_make",
    "video_thumbnail_request",
    "video_update",
]
