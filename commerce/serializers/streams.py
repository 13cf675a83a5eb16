"""Live streams."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from commerce.models import LiveStream
from commerce.money import format_amount
from videos.links import rendition_url

# What only the stream's host and staff see: the sales it brought in.
HOST_ONLY_FIELDS = ("orders_count", "revenue", "currency", "analytics_updated_at")


class LiveStreamSerializer(serializers.ModelSerializer):
    host = serializers.PrimaryKeyRelatedField(read_only=True)
    recording_status = serializers.CharField(
        source="recording.status", read_only=True, default=None
    )
    thumbnail_url = serializers.SerializerMethodField(
        help_text="A signed, expiring link to the recording's thumbnail, once it has one."
    )
    revenue = serializers.SerializerMethodField(help_text="Host and staff only.")

    class Meta:
        model = LiveStream
        fields = [
            "id",
            "host",
            "title",
            "description",
            "status",
            "scheduled_for",
            "started_at",
            "ended_at",
            "recording",
            "recording_status",
            "thumbnail_url",
            "orders_count",
            "revenue",
            "currency",
            "analytics_updated_at",
            "created_at",
        ]
        read_only_fields = [
            "status",
            "started_at",
            "ended_at",
            "recording",
            "orders_count",
            "currency",
            "analytics_updated_at",
            "created_at",
        ]
        extra_kwargs = {"orders_count": {"help_text": "Host and staff only."}}

    def get_revenue(self, stream: LiveStream) -> str:
        return format_amount(stream.revenue_minor, stream.currency)

    @extend_schema_field(OpenApiTypes.URI)
    def get_thumbnail_url(self, stream: LiveStream) -> str | None:
        if stream.recording is None:
            return None
        return rendition_url(stream.recording, "thumbnail", request=self.context.get("request"))

    def to_representation(self, stream: LiveStream) -> dict:
        data = super().to_representation(stream)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        sees_numbers = user is not None and (
            user.is_staff or (user.is_authenticated and user.pk == stream.host_id)
        )
        if not sees_numbers:
            for name in HOST_ONLY_FIELDS:
                data.pop(name, None)
        return data


class StreamEndSerializer(serializers.Serializer):
    recording = serializers.FileField(
        required=False, help_text="The stream's recording; it becomes one of your videos."
    )
    recording_video = serializers.UUIDField(
        required=False,
        help_text="Or: the id of one of your videos that holds the recording "
        "(uploaded with tus or S3 multipart).",
    )

    def validate(self, attrs: dict) -> dict:
        if "recording" in attrs and "recording_video" in attrs:
            raise serializers.ValidationError("Send either `recording` or `recording_video`.")
        return attrs
