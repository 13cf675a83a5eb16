"""Query-string filters of the videos list."""

import django_filters
from django.db.models import QuerySet

from videos.models import Video


class VideoFilter(django_filters.FilterSet):
    mine = django_filters.BooleanFilter(
        method="filter_mine",
        help_text="true: only your own videos (staff otherwise see everyone's).",
    )

    class Meta:
        model = Video
        fields = ["status"]

    def filter_mine(self, queryset: QuerySet[Video], name: str, value: bool) -> QuerySet[Video]:
        user = getattr(self.request, "user", None)
        if not value or user is None:
            return queryset
        return queryset.filter(owner=user) if user.is_authenticated else queryset.none()
