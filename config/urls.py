"""Top-level URLs. API paths accept an optional trailing slash."""

from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from config import media_views
from config.health import health
from config.metrics import metrics

api_v1 = [
    path("", include("accounts.urls")),
    path("", include("jobs.urls")),
    path("", include("videos.urls")),
    path("", include("commerce.urls")),
    path("", include("notifications.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    re_path(r"^api/health/?$", health, name="health"),
    path("metrics", metrics, name="metrics"),
    re_path(r"^api/schema/?$", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file: no inline script (CSP).
    re_path(r"^api/docs/?$", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    re_path(r"^api/redoc/?$", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    path("api/v1/", include(api_v1)),
    path("", include("jobs.dashboard_urls")),
    # Local media, only through signed, expiring URLs (config.media); S3 media is presigned.
    re_path(r"^media/(?P<name>.+)$", media_views.serve, name="media"),
]


handler404 = "config.api_errors.page_not_found"
handler500 = "config.api_errors.server_error"
