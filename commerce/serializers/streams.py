"""Live streams."""

from rest_framework import serializers

from commerce.models import LiveStream
from commerce.money import format_amount


class LiveStreamSerializer(serializers.ModelSerializer):
    host = serializers.PrimaryKeyRelatedField(read_only=True)
    recording_status = serializers.CharField(
        source="recording.status", read_only=True, default=None
    )
    revenue = serializers.SerializerMethodField()

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

    def get_revenue(self, stream: LiveStream) -> str:
        return format_amount(stream.revenue_minor, stream.currency)


class StreamEndSerializer(serializers.Serializer):
    recording = serializers.FileField(
        required=False, help_text="The stream's recording; it becomes one of your videos."
    )
