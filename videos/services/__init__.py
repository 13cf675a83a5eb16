"""Every write to videos goes through these functions."""

from videos.services.editing import video_delete, video_update
from videos.services.processing import (
    video_process,
    video_processing_cancelled,
    video_processing_failed,
    video_reprocess,
)
from videos.services.thumbnails import video_thumbnail_make, video_thumbnail_request
from videos.services.uploads import (
    StoredOriginal,
    video_create,
    video_create_from_original,
    video_create_from_storage,
    video_original_adopt,
    video_original_check_stored,
    video_original_discard,
    video_original_store,
    video_upload_abandon,
    video_upload_begin,
    video_upload_fail,
    video_upload_finish,
    video_upload_progress,
)

__all__ = [
    "StoredOriginal",
    "video_create",
    "video_create_from_original",
    "video_create_from_storage",
    "video_delete",
    "video_original_adopt",
    "video_original_check_stored",
    "video_original_discard",
    "video_original_store",
    "video_process",
    "video_processing_cancelled",
    "video_processing_failed",
    "video_reprocess",
    "video_thumbnail_make",
    "video_thumbnail_request",
    "video_update",
    "video_upload_abandon",
    "video_upload_begin",
    "video_upload_fail",
    "video_upload_finish",
    "video_upload_progress",
]
