"""Dashboard URLs (mounted at the site root): operator pages and the user's own pages."""

from django.contrib.auth.views import LogoutView
from django.urls import path, re_path, reverse_lazy

from jobs.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("dashboard/", views.overview_page, name="overview"),
    path("dashboard/jobs/", views.jobs_page, name="jobs"),
    path("dashboard/videos/", views.videos_page, name="videos"),
    path("dashboard/login/", views.DashboardLoginView.as_view(), name="login"),
    path(
        "dashboard/logout/",
        LogoutView.as_view(next_page=reverse_lazy("dashboard:login")),
        name="logout",
    ),
    path("my/videos/", views.my_videos_page, name="my-videos"),
    path("my/jobs/", views.my_jobs_page, name="my-jobs"),
    path("my/login/", views.UserLoginView.as_view(), name="my-login"),
    path(
        "my/logout/",
        LogoutView.as_view(next_page=reverse_lazy("dashboard:my-login")),
        name="my-logout",
    ),
    re_path(r"^dashboard/api/overview/?$", views.overview_api, name="overview-api"),
]
