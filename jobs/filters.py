"""Query-string filters of the jobs list."""

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet

from jobs.models import JobStatus, ProcessingJob


class JobFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=JobStatus.choices,
        help_text="One or more statuses (repeat the parameter).",
        # A status is a column of the row: no duplicates to remove. DISTINCT over every
        # column made PostgreSQL sort the whole filtered set (seconds at a million jobs).
        distinct=False,
    )
    job_type = django_filters.CharFilter(help_text="Exact job type, e.g. csv_stats.")
    queue = django_filters.CharFilter(help_text="Exact queue name.")
    created_after = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="ISO 8601 date-time (inclusive)."
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="ISO 8601 date-time (exclusive)."
    )
    retry_of = django_filters.UUIDFilter(help_text="Jobs that retry this job id.")
    target_type = django_filters.CharFilter(
        method="filter_target_type", help_text='The target\'s model as "app_label.model".'
    )
    target_id = django_filters.CharFilter(
        field_name="target_object_id", help_text="The target's primary key."
    )
    mine = django_filters.BooleanFilter(
        method="filter_mine",
        help_text="true: only the jobs you submitted (staff otherwise see everyone's).",
    )

    class Meta:
        model = ProcessingJob
        fields = ["status", "job_type", "queue", "created_after", "created_before"]

    def filter_mine(
        self, queryset: QuerySet[ProcessingJob], name: str, value: bool
    ) -> QuerySet[ProcessingJob]:
        user = getattr(self.request, "user", None)
        if not value or user is None:
            return queryset
        return queryset.filter(created_by=user) if user.is_authenticated else queryset.none()

    def filter_target_type(
        self, queryset: QuerySet[ProcessingJob], name: str, value: str
    ) -> QuerySet[ProcessingJob]:
        app_label, _, model = value.lower().partition(".")
        try:
            content_type = ContentType.objects.get_by_natural_key(app_label, model)
        except ContentType.DoesNotExist:
            return queryset.none()
        return queryset.filter(target_content_type=content_type)
