"""API shapes of the notifications app."""

from typing import Any

from rest_framework import serializers

from notifications.models import (
    Notification,
    RenderStatus,
    VideoRender,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from notifications.services.renders import InvalidRenderReport, check_oss_link, check_video_id


class NotificationSerializer(serializers.ModelSerializer):
    related_type = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        # The context is left out: it can hold one-time codes.
        fields = [
            "id",
            "channel",
            "recipient",
            "template",
            "subject",
            "status",
            "urgent",
            "attempts",
            "last_error",
            "sent_at",
            "backend",
            "related_type",
            "related_object_id",
            "job",
            "created_at",
        ]
        read_only_fields = fields

    def get_related_type(self, obj: Notification) -> str | None:
        content_type = obj.related_content_type
        return f"{content_type.app_label}.{content_type.model}" if content_type else None


class WebhookEndpointSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "url",
            "description",
            "event_types",
            "all_objects",
            "is_active",
            "failure_streak",
            "disabled_reason",
            "disabled_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class WebhookEndpointWithSecretSerializer(WebhookEndpointSerializer):
    """The endpoint as returned once, on creation or rotation: with its signing secret."""

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointWriteSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=2048)
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEvent.values), allow_empty=False
    )
    description = serializers.CharField(max_length=255, required=False, allow_blank=True)
    all_objects = serializers.BooleanField(
        required=False,
        help_text="Superusers only: receive events about everyone's objects, not only yours.",
    )
    is_active = serializers.BooleanField(required=False)


class WebhookAttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookAttempt
        fields = ["number", "at", "response_code", "response_excerpt", "duration_ms", "error"]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    attempts = WebhookAttemptSerializer(many=True, read_only=True)

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "event_type",
            "event_id",
            "payload",
            "status",
            "attempt_count",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "delivered_at",
            "redelivery_of",
            "created_at",
            "attempts",
        ]
        read_only_fields = fields


class VideoRenderSerializer(serializers.ModelSerializer):
    reelhouse_video_id = serializers.UUIDField(
        source="linked_video_id", read_only=True, allow_null=True
    )

    class Meta:
        model = VideoRender
        fields = [
            "video_id",
            "status",
            "oss_link",
            "error_message",
            "reelhouse_video_id",
            "completed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class RenderReportSerializer(serializers.Serializer):
    """One status report from the renderer."""

    video_id = serializers.CharField(max_length=255, trim_whitespace=True)
    status = serializers.ChoiceField(choices=RenderStatus.choices)
    oss_link = serializers.CharField(
        max_length=2048, required=False, allow_blank=True, allow_null=True
    )
    error_message = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, allow_null=True
    )

    def validate_video_id(self, value: str) -> str:
        return _checked(check_video_id, value)

    def validate_oss_link(self, value: str | None) -> str | None:
        return _checked(check_oss_link, value) if value else value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["status"] == RenderStatus.COMPLETED and not attrs.get("oss_link"):
            raise serializers.ValidationError({"oss_link": ["A completed render needs its link."]})
        return attrs


def _checked(check: Any, value: str) -> str:
    try:
        return check(value)
    except InvalidRenderReport as exc:
        raise serializers.ValidationError(str(exc)) from exc


class RenderNotifyResultSerializer(serializers.Serializer):
    accepted = serializers.IntegerField(help_text="Reports stored by this request.")
    duplicate = serializers.BooleanField(help_text="True when this webhook-id was seen before.")
