"""Operator views: render status, the email/SMS log, webhook endpoints and deliveries."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from config.errors import ServiceError
from notifications import services
from notifications.models import (
    Notification,
    ReceivedWebhook,
    RenderStatus,
    VideoRender,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)


class ReadOnlyAdminMixin:
    """Rows written by services only: operators look and use the actions."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(VideoRender)
class VideoRenderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["video_id", "status", "linked_video", "oss_link", "completed_at", "updated_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["video_id", "oss_link"]
    raw_id_fields = ["linked_video"]
    actions = ["rerun_completion"]

    @admin.action(description="Re-run completion (webhook and email again)")
    def rerun_completion(self, request: HttpRequest, queryset: QuerySet[VideoRender]) -> None:
        queued = skipped = 0
        for render in queryset:
            if render.status != RenderStatus.COMPLETED or not render.oss_link:
                skipped += 1
                continue
            services.render_completion_enqueue(
                video_id=render.video_id, oss_link=render.oss_link, force=True
            )
            queued += 1
        self.message_user(request, f"Queued completion for {queued} render(s).")
        if skipped:
            self.message_user(
                request,
                f"Skipped {skipped} render(s) that are not completed with a link.",
                level=messages.WARNING,
            )


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "channel", "template", "recipient", "status", "attempts", "created_at"]
    list_filter = ["channel", "status", "backend", "template", "urgent", "created_at"]
    search_fields = ["recipient", "template", "last_error"]
    raw_id_fields = ["user", "job"]
    actions = ["resend"]

    @admin.action(description="Resend (queue a new copy)")
    def resend(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        for notification in queryset:
            services.notification_resend(notification=notification)
        self.message_user(request, f"Queued {queryset.count()} notification(s) again.")


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ["number", "at", "response_code", "duration_ms", "error", "response_excerpt"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "id",
        "event_type",
        "endpoint",
        "status",
        "attempt_count",
        "last_status_code",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["status", "event_type", "created_at"]
    search_fields = ["event_id", "endpoint__url"]
    raw_id_fields = ["endpoint", "current_job", "redelivery_of"]
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]

    @admin.action(description="Redeliver (send the event again)")
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        sent = 0
        for delivery in queryset.select_related("endpoint"):
            try:
                services.webhook_delivery_redeliver(delivery=delivery)
                sent += 1
            except ServiceError as exc:
                self.message_user(request, f"{delivery.pk}: {exc.message}", level=messages.WARNING)
        self.message_user(request, f"Queued {sent} redelivery(ies).")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["url", "owner", "all_objects", "is_active", "failure_streak", "created_at"]
    list_filter = ["is_active", "all_objects", "created_at"]
    search_fields = ["url", "owner__username", "description"]
    raw_id_fields = ["owner"]
    exclude = ["secret"]  # shown to the owner once; never in the admin
    actions = ["enable", "disable"]

    @admin.action(description="Enable (clear the failure streak)")
    def enable(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            services.webhook_endpoint_update(endpoint=endpoint, is_active=True)
        self.message_user(request, f"Enabled {queryset.count()} endpoint(s).")

    @admin.action(description="Disable (stop deliveries)")
    def disable(self, request: HttpRequest, queryset: QuerySet[WebhookEndpoint]) -> None:
        for endpoint in queryset:
            services.webhook_endpoint_update(endpoint=endpoint, is_active=False)
        self.message_user(request, f"Disabled {queryset.count()} endpoint(s).")


@admin.register(ReceivedWebhook)
class ReceivedWebhookAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["source", "webhook_id", "received_at"]
    list_filter = ["source"]
    search_fields = ["webhook_id"]
