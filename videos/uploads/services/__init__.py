"""Every write to upload sessions goes through these functions."""

from videos.uploads.services.multipart import (
    multipart_part_size,
    multipart_part_urls,
    multipart_progress_record,
    multipart_upload_abort,
    multipart_upload_complete,
    multipart_upload_create,
    multipart_uploads_abort_stale,
)
from videos.uploads.services.tus import tus_upload_append, tus_upload_create
from videos.uploads.services.tus_cleanup import tus_upload_terminate, tus_uploads_expire

__all__ = [
    "multipart_part_size",
    "multipart_part_urls",
    "multipart_progress_record",
    "multipart_upload_abort",
    "multipart_upload_complete",
    "multipart_upload_create",
    "multipart_uploads_abort_stale",
    "tus_upload_append",
    "tus_upload_create",
    "tus_upload_terminate",
    "tus_uploads_expire",
]
