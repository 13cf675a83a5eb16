"""Live streams and sales reports."""

from django.contrib import admin
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from commerce.models import DailySalesReport, LiveStream
from jobs.services import job_create


@admin.register(LiveStream)
class LiveStreamAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "host",
        "status",
        "started_at",
        "ended_at",
        "recording",
        "orders_count",
        "revenue_minor",
        "currency",
    ]
    list_filter = ["status", "started_at"]
    search_fields = ["title", "host__username"]
    raw_id_fields = ["host", "recording"]
    list_select_related = ["host", "recording"]
    readonly_fields = ["orders_count", "revenue_minor", "analytics_updated_at"]
    actions = ["recompute_analytics"]

    @admin.action(description="Recompute orders and revenue (background job)")
    def recompute_analytics(self, request: HttpRequest, queryset: QuerySet[LiveStream]) -> None:
        with transaction.atomic():
            for stream in queryset.exclude(started_at__isnull=True):
                job_create(
                    job_type="aggregate_stream_analytics",
                    params={"stream_id": stream.pk},
                    created_by=request.user,
                    target=stream,
                )
        self.message_user(request, "Analytics jobs started.")


@admin.register(DailySalesReport)
class DailySalesReportAdmin(admin.ModelAdmin):
    list_display = ["date", "orders_count", "items_count", "totals", "csv_file", "emailed_at"]
    date_hierarchy = "date"
    readonly_fields = [f.name for f in DailySalesReport._meta.fields]
    actions = ["rebuild"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Rebuild selected reports (background job)")
    def rebuild(self, request: HttpRequest, queryset: QuerySet[DailySalesReport]) -> None:
        with transaction.atomic():
            for report in queryset:
                job_create(
                    job_type="daily_sales_report",
                    params={"date": report.date.isoformat()},
                    created_by=request.user,
                    target=report,
                )
        self.message_user(request, "Report jobs started.")
