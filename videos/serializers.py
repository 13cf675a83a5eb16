"""API representations of videos."""

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from videos.links import rendition_url
from videos.models import DESCRIPTION_MAX_LENGTH, Video


class VideoUploadSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,  # the service answers empty files with its own message
        help_text="The video (.mp4, .mov, .avi, .mkv or .webm by default).",
    )
    title = serializers.CharField(max_length=255)
    description = serializers.CharField(
        max_length=DESCRIPTION_MAX_LENGTH, required=False, allow_blank=True, default=""
    )


class VideoUploadResponseSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    video_id = serializers.UUIDField()
    status = serializers.CharField()
    job_id = serializers.UUIDField()
    message = serializers.CharField()


class VideoJobSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    status = serializers.CharField()
    progress = serializers.IntegerField()
    message = serializers.CharField(source="progress_message")
    error = serializers.CharField()


class JobAcceptedSerializer(serializers.Serializer):
    video_id = serializers.UUIDField()
    job_id = serializers.UUIDField()
    status = serializers.CharField()
    message = serializers.CharField()


class ThumbnailRequestSerializer(serializers.Serializer):
    at_seconds = serializers.FloatField(
        min_value=0, help_text="Seconds into the video of the frame to use, e.g. 1.5."
    )


class ThumbnailAcceptedSerializer(serializers.Serializer):
    video_id = serializers.UUIDField()
    at_seconds = serializers.FloatField()
    job_id = serializers.UUIDField()
    job = VideoJobSerializer()
    message = serializers.CharField()


class VideoSerializer(serializers.ModelSerializer):
    owner = serializers.CharField(source="owner.username", read_only=True)
    url_mp4 = serializers.SerializerMethodField()
    proxy_url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()
    original_url = serializers.SerializerMethodField()
    hls_url = serializers.SerializerMethodField(
        help_text="HLS master playlist (CMAF ladder of 1080/720/480/360p up to the video's "
        "height, one audio rendition). Signed and expiring; every playlist and segment it "
        "names works for you until the same time. Null until the video is ready (and for "
        "videos processed before HLS existed, until they are reprocessed)."
    )
    storyboard_url = serializers.SerializerMethodField(
        help_text="WebVTT track of scrubbing previews: each cue is a time range and a tile "
        "of one sprite image (`<sprite URL>#xywh=x,y,w,h`). Signed and expiring like hls_url."
    )
    display_width = serializers.IntegerField(read_only=True, allow_null=True)
    display_height = serializers.IntegerField(read_only=True, allow_null=True)
    job = VideoJobSerializer(source="current_job", read_only=True, allow_null=True)

    class Meta:
        model = Video
        fields = [
            *("id", "owner", "title", "description", "status", "error_reason"),
            *("original_filename", "original_size", "bytes_received", "container"),
            *("duration", "width", "height", "display_width", "display_height", "rotation"),
            *("fps", "video_codec", "audio_codec", "bitrate", "has_audio"),
            *("url_mp4", "proxy_url", "thumbnail_url", "thumbnail_at", "original_url"),
            *("hls_url", "storyboard_url"),
            *("processed_at", "created_at", "updated_at", "job"),
        ]
        read_only_fields = fields

    def _url(self, video: Video, rendition: str) -> str | None:
        request = self.context.get("request")
        return rendition_url(video, rendition, request=request)

    @extend_schema_field(OpenApiTypes.URI)
    def get_url_mp4(self, video: Video) -> str | None:
        return self._url(video, "mp4")

    @extend_schema_field(OpenApiTypes.URI)
    def get_proxy_url(self, video: Video) -> str | None:
        return self._url(video, "proxy")

    @extend_schema_field(OpenApiTypes.URI)
    def get_thumbnail_url(self, video: Video) -> str | None:
        return self._url(video, "thumbnail")

    @extend_schema_field(OpenApiTypes.URI)
    def get_original_url(self, video: Video) -> str | None:
        return self._url(video, "original")

    @extend_schema_field(OpenApiTypes.URI)
    def get_hls_url(self, video: Video) -> str | None:
        return self._url(video, "hls")

    @extend_schema_field(OpenApiTypes.URI)
    def get_storyboard_url(self, video: Video) -> str | None:
        return self._url(video, "storyboard")


class VideoUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Video
        fields = ["title", "description"]

    def to_representation(self, instance: Video) -> dict[str, Any]:
        return VideoSerializer(instance, context=self.context).data
