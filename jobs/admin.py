"""Operator views of jobs: a read-only list and detail with cancel, retry and requeue."""

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince

from config.errors import ServiceError
from jobs import services
from jobs.models import ProcessingJob, WorkerHeartbeat

STATUS_COLOURS = {
    "pending": "#6c757d",
    "queued": "#0d6efd",
    "running": "#fd7e14",
    "completed": "#198754",
    "failed": "#dc3545",
    "cancelled": "#6f42c1",
}


def _pretty_json(value: Any) -> str:
    if value in (None, {}, []):
        return "-"
    text = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>', text)


@admin.register(ProcessingJob)
class ProcessingJobAdmin(admin.ModelAdmin):
    list_display = [
        "short_id",
        "job_type",
        "status_badge",
        "progress_bar",
        "queue",
        "attempts_display",
        "age",
        "duration",
        "created_by",
        "created_at",
    ]
    list_filter = ["status", "job_type", "queue", "created_at"]
    search_fields = ["id", "job_type", "error", "celery_task_id", "created_by__username"]
    list_select_related = ["created_by"]
    ordering = ["-created_at"]
    list_per_page = 50
    show_full_result_count = False  # a count(*) per page is slow on millions of jobs
    actions = ["cancel_jobs", "retry_jobs", "requeue_jobs"]
    fieldsets = [
        (None, {"fields": ["id", "job_type", "status_badge", "progress_bar", "target_link"]}),
        ("Input and output", {"fields": ["params_pretty", "result_pretty"]}),
        ("Error", {"fields": ["error", "traceback_pretty"]}),
        (
            "Execution",
            {
                "fields": [
                    "queue",
                    "priority",
                    "attempts_display",
                    "celery_task_id",
                    "worker",
                    "created_by",
                    "retry_of_link",
                ]
            },
        ),
        (
            "Times",
            {
                "fields": [
                    "created_at",
                    "queued_at",
                    "started_at",
                    "heartbeat_at",
                    "completed_at",
                    "cancel_requested_at",
                    "duration",
                ]
            },
        ),
    ]
    # Jobs are read-only here: every field shown is a read-only one.
    readonly_fields = flatten_fieldsets(fieldsets)

    # Jobs are written by services only: no add, edit or delete here.
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_operate_permission(self, request: HttpRequest) -> bool:
        """Cancel, retry and requeue need the model's change permission."""
        return request.user.has_perm("jobs.change_processingjob")

    @admin.display(description="ID", ordering="id")
    def short_id(self, job: ProcessingJob) -> str:
        return str(job.pk)[:8]

    @admin.display(description="Status", ordering="status")
    def status_badge(self, job: ProcessingJob) -> str:
        colour = STATUS_COLOURS.get(job.status, "#6c757d")
        label = job.get_status_display()
        if job.cancel_requested_at and not job.is_final:
            label = f"{label} (cancelling)"
        return format_html(
            '<span style="color: #fff; background: {}; padding: 1px 6px; border-radius: 8px">'
            "{}</span>",
            colour,
            label,
        )

    @admin.display(description="Progress", ordering="progress")
    def progress_bar(self, job: ProcessingJob) -> str:
        return format_html(
            '<progress value="{}" max="100" title="{}" style="width: 80px"></progress> {}%',
            job.progress,
            job.progress_message,
            job.progress,
        )

    @admin.display(description="Attempts")
    def attempts_display(self, job: ProcessingJob) -> str:
        return f"{job.attempts}/{job.max_attempts}"

    @admin.display(description="Age", ordering="created_at")
    def age(self, job: ProcessingJob) -> str:
        return timesince(job.created_at, timezone.now())

    @admin.display(description="Duration")
    def duration(self, job: ProcessingJob) -> str:
        seconds = job.duration_seconds
        if seconds is None:
            return "-"
        return f"{seconds:.1f} s" if seconds < 120 else f"{seconds / 60:.1f} min"

    @admin.display(description="Params")
    def params_pretty(self, job: ProcessingJob) -> str:
        return _pretty_json(job.params)

    @admin.display(description="Result")
    def result_pretty(self, job: ProcessingJob) -> str:
        return _pretty_json(job.result)

    @admin.display(description="Traceback")
    def traceback_pretty(self, job: ProcessingJob) -> str:
        if not job.traceback:
            return "-"
        return format_html('<pre style="white-space: pre-wrap; margin: 0">{}</pre>', job.traceback)

    @admin.display(description="Target")
    def target_link(self, job: ProcessingJob) -> str:
        content_type = job.target_content_type
        if content_type is None:
            return "-"
        label = f"{content_type.app_label}.{content_type.model} {job.target_object_id}"
        try:
            url = reverse(
                f"admin:{content_type.app_label}_{content_type.model}_change",
                args=[job.target_object_id],
            )
        except NoReverseMatch:  # the target's model has no admin page
            return label
        return format_html('<a href="{}">{}</a>', url, label)

    @admin.display(description="Retry of")
    def retry_of_link(self, job: ProcessingJob) -> str:
        if job.retry_of_id is None:
            return "-"
        url = reverse("admin:jobs_processingjob_change", args=[job.retry_of_id])
        return format_html('<a href="{}">{}</a>', url, job.retry_of_id)

    def _apply(
        self,
        request: HttpRequest,
        queryset: QuerySet[ProcessingJob],
        operation: Callable[[ProcessingJob], Any],
        done: str,
    ) -> None:
        """Run `operation` on each job; report successes and refusals as messages."""
        succeeded = 0
        refusals: list[str] = []
        for job in queryset.order_by("created_at"):
            try:
                operation(job)
            except ServiceError as exc:  # its state forbids it; its type is gone; ...
                refusals.append(f"{str(job.pk)[:8]}: {exc.message}")
            else:
                succeeded += 1
        if succeeded:
            self.message_user(request, f"{done} {succeeded} job(s).", messages.SUCCESS)
        if refusals:
            shown = "; ".join(refusals[:10])
            more = f" (and {len(refusals) - 10} more)" if len(refusals) > 10 else ""
            self.message_user(
                request, f"Refused {len(refusals)} job(s): {shown}{more}", messages.WARNING
            )

    @admin.action(description="Cancel selected jobs", permissions=["operate"])
    def cancel_jobs(self, request: HttpRequest, queryset: QuerySet[ProcessingJob]) -> None:
        self._apply(
            request, queryset, lambda job: services.job_cancel(job=job), "Cancelled (or asked)"
        )

    @admin.action(description="Retry selected jobs (failed or cancelled)", permissions=["operate"])
    def retry_jobs(self, request: HttpRequest, queryset: QuerySet[ProcessingJob]) -> None:
        self._apply(
            request,
            queryset,
            lambda job: services.job_retry(job=job, created_by=request.user),
            "Created retries of",
        )

    @admin.action(description="Requeue selected jobs (waiting or stuck)", permissions=["operate"])
    def requeue_jobs(self, request: HttpRequest, queryset: QuerySet[ProcessingJob]) -> None:
        reason = f"Requeued by {request.user} from the admin"
        self._apply(
            request, queryset, lambda job: services.job_requeue(job=job, reason=reason), "Requeued"
        )


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    """Workers by their last heartbeat: alive, or dead (their running jobs get reaped)."""

    list_display = ("hostname", "state", "last_seen", "started_at", "pid", "queue_names")
    ordering = ("-last_seen_at",)
    search_fields = ("hostname",)

    @admin.display(description="state")
    def state(self, beat: WorkerHeartbeat) -> str:
        dead_after = timedelta(seconds=settings.JOBS_WORKER_DEAD_AFTER_SECONDS)
        alive = beat.last_seen_at >= timezone.now() - dead_after
        colour = "#198754" if alive else "#dc3545"
        return format_html(
            '<b style="color: {}">{}</b>', colour, "alive" if alive else "dead (silent)"
        )

    @admin.display(description="last seen", ordering="last_seen_at")
    def last_seen(self, beat: WorkerHeartbeat) -> str:
        return f"{timesince(beat.last_seen_at)} ago"

    @admin.display(description="queues")
    def queue_names(self, beat: WorkerHeartbeat) -> str:
        return ", ".join(beat.queues or [])

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
