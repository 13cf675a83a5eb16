"""Operator views of upload sessions: who is uploading what, how far along, what it became.

Read-only: sessions change through the upload API and the cleanup tasks. The actions go
through the same services as the API (terminate a tus upload, abort a multipart upload).
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html

from videos.uploads.models import MultipartUpload, TusUpload, UploadStatus
from videos.uploads.services import multipart_upload_abort, tus_upload_terminate
from videos.validation import UploadError

SESSION_FIELDS = (
    *("id", "owner", "filename", "title", "description", "status", "error"),
    *("job", "expires_at", "created_at", "updated_at", "completed_at"),
)


class UploadSessionAdmin(admin.ModelAdmin):
    list_filter = ("status",)
    search_fields = ("filename", "title", "owner__username", "id")
    list_select_related = ("owner",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the actions below also remove partial data and S3 parts

    @admin.display(description="job")
    def job_link(self, upload) -> str:
        if upload.job_id is None:
            return "-"
        url = reverse("admin:jobs_processingjob_change", args=[upload.job_id])
        return format_html('<a href="{}">{}</a>', url, str(upload.job_id)[:8])


@admin.register(TusUpload)
class TusUploadAdmin(UploadSessionAdmin):
    list_display = (
        *("filename", "owner", "status", "received", "expires_at", "created_at"),
        "job_link",
    )
    readonly_fields = (*SESSION_FIELDS, "length", "offset", "metadata", "video")
    actions = ("terminate",)

    @admin.display(description="received", ordering="offset")
    def received(self, upload: TusUpload) -> str:
        percent = 100 * upload.offset // upload.length if upload.length else 100
        return f"{filesizeformat(upload.offset)} of {filesizeformat(upload.length)} ({percent}%)"

    @admin.action(description="Terminate the selected uploads (delete their partial data)")
    def terminate(self, request: HttpRequest, queryset: QuerySet[TusUpload]) -> None:
        done, refused = 0, []
        for upload in queryset:
            try:
                tus_upload_terminate(upload=upload)
                done += 1
            except UploadError as exc:  # a chunk is being written right now
                refused.append(f"{upload.filename}: {exc.message}")
        if done:
            self.message_user(request, f"Terminated {done} upload(s).", messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.WARNING)


@admin.register(MultipartUpload)
class MultipartUploadAdmin(UploadSessionAdmin):
    list_display = (
        *("filename", "owner", "status", "file_size", "expires_at", "created_at"),
        "job_link",
    )
    readonly_fields = (*SESSION_FIELDS, "size", "part_size", "key", "s3_upload_id", "video_id")
    actions = ("abort",)

    @admin.display(description="size", ordering="size")
    def file_size(self, upload: MultipartUpload) -> str:
        return f"{filesizeformat(upload.size)} in {upload.part_count} part(s)"

    @admin.action(description="Abort the selected uploads (on S3 too)")
    def abort(self, request: HttpRequest, queryset: QuerySet[MultipartUpload]) -> None:
        done, refused = 0, []
        for upload in queryset.filter(status=UploadStatus.UPLOADING):
            try:
                multipart_upload_abort(upload=upload)
                done += 1
            except UploadError as exc:
                refused.append(f"{upload.filename}: {exc.message}")
        self.message_user(request, f"Aborted {done} upload(s).", messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.WARNING)
