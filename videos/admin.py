"""Operator views of videos: thumbnails, metadata, the player, jobs and reprocessing."""

from collections.abc import Callable
from contextvars import ContextVar

from django.contrib import admin, messages
from django.contrib.contenttypes.admin import GenericTabularInline
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.utils.html import format_html

from jobs.errors import JobStateError
from jobs.models import ProcessingJob
from videos.links import rendition_url
from videos.models import Video
from videos.services import video_delete, video_reprocess
from videos.uploads import admin as uploads_admin  # noqa: F401 (registers the upload sessions)

JOB_FIELDS = (
    *("job_type", "status", "progress", "progress_message", "attempts", "error"),
    *("created_at", "started_at", "completed_at"),
)


class VideoJobInline(GenericTabularInline):
    """The video's processing jobs (ProcessingJob rows whose target is the video)."""

    model = ProcessingJob
    ct_field = "target_content_type"
    ct_fk_field = "target_object_id"
    fields = JOB_FIELDS
    readonly_fields = JOB_FIELDS
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = True
    ordering = ("-created_at",)
    verbose_name = "processing job"

    def has_add_permission(self, request: HttpRequest, obj: Video | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Video | None = None) -> bool:
        return False


# The request being rendered, so links can be signed for the staff member viewing them
# (display methods get only the object). A context variable is per thread and per task.
_viewing: ContextVar[HttpRequest | None] = ContextVar("video_admin_request", default=None)


def _link(video: Video, rendition: str) -> str | None:
    return rendition_url(video, rendition, request=_viewing.get())


def _rendered_for(request: HttpRequest, view: Callable[[], HttpResponse]) -> HttpResponse:
    """Run an admin view and render its template while `request` is the viewer."""
    token = _viewing.set(request)
    try:
        response = view()
        if isinstance(response, TemplateResponse):
            response.render()
        return response
    finally:
        _viewing.reset(token)


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    list_display = (
        *("thumbnail", "title", "owner", "status", "duration_display"),
        *("resolution", "size_display", "created_at"),
    )
    list_display_links = ("thumbnail", "title")
    list_filter = ("status", "container", "has_audio", "created_at")
    search_fields = ("title", "=id", "owner__username", "original_filename")
    list_select_related = ("owner",)
    date_hierarchy = "created_at"
    actions = ("reprocess",)
    inlines = (VideoJobInline,)
    readonly_fields = (
        *("id", "owner", "status", "error_reason", "player"),
        *("original_filename", "original_size", "container", "original_key"),
        *("duration", "width", "height", "rotation", "fps", "video_codec", "audio_codec"),
        *("bitrate", "has_audio", "mp4_key", "proxy_key", "thumbnail_key", "processed_at"),
        *("hls_key", "storyboard_key", "current_job", "created_at", "updated_at"),
    )
    fieldsets = (
        (None, {"fields": ("id", "title", "description", "owner", "status", "error_reason")}),
        ("Player", {"fields": ("player",)}),
        (
            "Original",
            {"fields": ("original_filename", "original_size", "container", "original_key")},
        ),
        (
            "Metadata",
            {
                "fields": (
                    ("duration", "fps", "bitrate"),
                    ("width", "height", "rotation"),
                    ("video_codec", "audio_codec", "has_audio"),
                )
            },
        ),
        (
            "Renditions",
            {
                "fields": (
                    *("mp4_key", "proxy_key", "thumbnail_key", "hls_key", "storyboard_key"),
                    "processed_at",
                )
            },
        ),
        ("History", {"fields": ("current_job", "created_at", "updated_at")}),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # videos come in through the upload API, which validates them

    def changelist_view(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        view = super().changelist_view
        return _rendered_for(request, lambda: view(request, extra_context))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None
    ) -> HttpResponse:
        view = super().change_view
        return _rendered_for(request, lambda: view(request, object_id, form_url, extra_context))

    @admin.display(description="Thumbnail")
    def thumbnail(self, video: Video) -> str:
        url = _link(video, "thumbnail")
        if not url:
            return "—"
        return format_html('<img src="{}" alt="" style="height: 54px; width: auto;">', url)

    @admin.display(description="Duration", ordering="duration")
    def duration_display(self, video: Video) -> str:
        return f"{video.duration:.1f} s" if video.duration is not None else "—"

    @admin.display(description="Size (display)")
    def resolution(self, video: Video) -> str:
        if not video.width or not video.height:
            return "—"
        return f"{video.display_width} x {video.display_height}"

    @admin.display(description="Original size", ordering="original_size")
    def size_display(self, video: Video) -> str:
        return filesizeformat(video.original_size)

    @admin.display(description="MP4")
    def player(self, video: Video) -> str:
        url = _link(video, "mp4")
        if not url:
            return f"No MP4 yet (status: {video.get_status_display()})."
        return format_html(
            '<video src="{}" poster="{}" controls preload="metadata" '
            'style="max-width: 640px; max-height: 360px; background: #000;"></video>',
            url,
            _link(video, "thumbnail") or "",
        )

    @admin.action(description="Reprocess selected videos")
    def reprocess(self, request: HttpRequest, queryset: QuerySet[Video]) -> None:
        started, refused = 0, []
        for video in queryset:
            try:
                video_reprocess(video=video, requested_by=request.user)
                started += 1
            except JobStateError as exc:
                refused.append(f"{video.title}: {exc}")
        if started:
            self.message_user(request, f"Reprocessing {started} video(s).", messages.SUCCESS)
        for message in refused:
            self.message_user(request, message, messages.WARNING)

    def delete_model(self, request: HttpRequest, obj: Video) -> None:
        video_delete(video=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Video]) -> None:
        for video in queryset:
            video_delete(video=video)
